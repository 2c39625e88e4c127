package node

import (
	"slices"
	"strings"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// As the kubelet: status.images lists the 50 largest images, each with at
// most 5 names, so a node with many images keeps a small object.
const (
	maxImages        = 50
	maxNamesPerImage = 5
)

// nodeImages turns the runtime's images into status.images: one entry per
// image ID (an image pulled under several names is one image), its names the
// repo digests first and then the tags, largest images first.
func nodeImages(infos []runtime.ImageInfo) []api.ContainerImage {
	type image struct {
		digests, tags []string
		size          int64
	}
	byID := map[string]*image{}
	var order []string
	for _, in := range infos {
		id := in.ID
		if id == "" {
			id = in.Ref
		}
		img, ok := byID[id]
		if !ok {
			img = &image{}
			byID[id] = img
			order = append(order, id)
		}
		img.size = max(img.size, in.Size)
		repo, digest := splitRef(in.Ref)
		if digest != "" {
			img.digests = appendNew(img.digests, repo+"@"+digest)
			continue
		}
		if in.Digest != "" && repo != "" {
			img.digests = appendNew(img.digests, repo+"@"+in.Digest)
		}
		if in.Ref != "" {
			img.tags = appendNew(img.tags, in.Ref)
		}
	}
	out := make([]api.ContainerImage, 0, len(order))
	for _, id := range order {
		img := byID[id]
		names := slices.Concat(img.digests, img.tags)
		if len(names) == 0 {
			continue
		}
		if len(names) > maxNamesPerImage {
			names = names[:maxNamesPerImage]
		}
		out = append(out, api.ContainerImage{Names: names, SizeBytes: img.size})
	}
	slices.SortStableFunc(out, func(a, b api.ContainerImage) int {
		switch {
		case a.SizeBytes > b.SizeBytes:
			return -1
		case a.SizeBytes < b.SizeBytes:
			return 1
		}
		return strings.Compare(a.Names[0], b.Names[0])
	})
	if len(out) > maxImages {
		out = out[:maxImages]
	}
	return out
}

// splitRef splits a normalized reference into its repository (without tag)
// and, for a reference by digest, the digest.
// "docker.io/library/busybox:1.36" → "docker.io/library/busybox", "";
// "localhost:5000/app:v1@sha256:…" → "localhost:5000/app", "sha256:…".
func splitRef(ref string) (repo, digest string) {
	repo, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo, digest
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
