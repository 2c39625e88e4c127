package node

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

func TestNodeImages(t *testing.T) {
	tests := []struct {
		name  string
		infos []runtime.ImageInfo
		want  []api.ContainerImage
	}{
		{
			name: "digest then tag",
			infos: []runtime.ImageInfo{
				{Ref: "docker.io/library/busybox:1.36", Digest: "sha256:aaa", ID: "sha256:1", Size: 2000},
			},
			want: []api.ContainerImage{
				{Names: []string{"docker.io/library/busybox@sha256:aaa", "docker.io/library/busybox:1.36"}, SizeBytes: 2000},
			},
		},
		{
			name: "names of one image are one entry",
			infos: []runtime.ImageInfo{
				{Ref: "docker.io/library/busybox:1.36", Digest: "sha256:aaa", ID: "sha256:1", Size: 2000},
				{Ref: "docker.io/library/busybox:latest", Digest: "sha256:aaa", ID: "sha256:1", Size: 2000},
				{Ref: "localhost:5000/busybox:v1", Digest: "sha256:bbb", ID: "sha256:1", Size: 2000},
			},
			want: []api.ContainerImage{{Names: []string{
				"docker.io/library/busybox@sha256:aaa", "localhost:5000/busybox@sha256:bbb",
				"docker.io/library/busybox:1.36", "docker.io/library/busybox:latest", "localhost:5000/busybox:v1",
			}, SizeBytes: 2000}},
		},
		{
			name: "at most five names",
			infos: func() []runtime.ImageInfo {
				var out []runtime.ImageInfo
				for i := range 7 {
					out = append(out, runtime.ImageInfo{Ref: fmt.Sprintf("example.com/app:v%d", i), ID: "sha256:1", Size: 10})
				}
				return out
			}(),
			want: []api.ContainerImage{{Names: []string{
				"example.com/app:v0", "example.com/app:v1", "example.com/app:v2", "example.com/app:v3", "example.com/app:v4",
			}, SizeBytes: 10}},
		},
		{
			name: "a reference by digest is a repo digest",
			infos: []runtime.ImageInfo{
				{Ref: "localhost:5000/app@sha256:ccc", Digest: "sha256:ccc", ID: "sha256:3", Size: 5},
			},
			want: []api.ContainerImage{{Names: []string{"localhost:5000/app@sha256:ccc"}, SizeBytes: 5}},
		},
		{
			name: "largest first",
			infos: []runtime.ImageInfo{
				{Ref: "docker.io/library/small:1", ID: "sha256:s", Size: 1},
				{Ref: "docker.io/library/large:1", ID: "sha256:l", Size: 100},
				{Ref: "docker.io/library/medium:1", ID: "sha256:m", Size: 10},
			},
			want: []api.ContainerImage{
				{Names: []string{"docker.io/library/large:1"}, SizeBytes: 100},
				{Names: []string{"docker.io/library/medium:1"}, SizeBytes: 10},
				{Names: []string{"docker.io/library/small:1"}, SizeBytes: 1},
			},
		},
		{
			name: "no images",
			want: []api.ContainerImage{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, nodeImages(tt.infos)); diff != "" {
				t.Errorf("nodeImages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNodeImagesCap(t *testing.T) {
	var infos []runtime.ImageInfo
	for i := range 60 {
		infos = append(infos, runtime.ImageInfo{Ref: fmt.Sprintf("example.com/img%02d:1", i), ID: fmt.Sprintf("sha256:%d", i), Size: int64(i)})
	}
	got := nodeImages(infos)
	if len(got) != maxImages {
		t.Fatalf("got %d images, want %d", len(got), maxImages)
	}
	if got[0].SizeBytes != 59 || got[len(got)-1].SizeBytes != 10 {
		t.Errorf("kept sizes %d..%d, want the 50 largest (59..10)", got[0].SizeBytes, got[len(got)-1].SizeBytes)
	}
}

func TestSplitRef(t *testing.T) {
	tests := []struct {
		ref, repo, digest string
	}{
		{"docker.io/library/busybox:1.36", "docker.io/library/busybox", ""},
		{"localhost:5000/busybox:v1", "localhost:5000/busybox", ""},
		{"localhost:5000/busybox", "localhost:5000/busybox", ""},
		{"localhost:5000/app@sha256:abc", "localhost:5000/app", "sha256:abc"},
		{"docker.io/library/busybox:1.36@sha256:abc", "docker.io/library/busybox", "sha256:abc"},
	}
	for _, tt := range tests {
		repo, digest := splitRef(tt.ref)
		if repo != tt.repo || digest != tt.digest {
			t.Errorf("splitRef(%q) = %q, %q; want %q, %q", tt.ref, repo, digest, tt.repo, tt.digest)
		}
	}
}
