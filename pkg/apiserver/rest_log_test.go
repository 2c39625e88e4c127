package apiserver

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
)

func TestParseLogOptions(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name     string
		query    string
		want     logOptions
		wantCode int
		wantMsg  string
	}{
		{name: "none", query: "", want: logOptions{}},
		{name: "kubectl logs -f --tail", query: "container=app&follow=true&tailLines=10",
			want: logOptions{container: "app", follow: true, tailLines: n(10)}},
		{name: "booleans as Kubernetes reads them", query: "follow=1&previous=yes&timestamps=false",
			want: logOptions{follow: true, previous: true}},
		{name: "sinceTime becomes seconds, rounded up", query: "sinceTime=2026-03-01T11:58:59Z",
			want: logOptions{sinceSeconds: n(61)}},
		{name: "sinceTime in the future", query: "sinceTime=2026-03-01T13:00:00Z",
			want: logOptions{sinceSeconds: n(1)}},
		{name: "limit and since", query: "limitBytes=100&sinceSeconds=5",
			want: logOptions{limitBytes: n(100), sinceSeconds: n(5)}},
		{name: "both since forms", query: "sinceSeconds=5&sinceTime=2026-03-01T11:58:59Z",
			wantCode: 422, wantMsg: "at most one of `sinceTime` or `sinceSeconds` may be specified"},
		{name: "zero limit", query: "limitBytes=0", wantCode: 422, wantMsg: "limitBytes: Invalid value: 0: must be greater than 0"},
		{name: "zero since", query: "sinceSeconds=0", wantCode: 422, wantMsg: "sinceSeconds: Invalid value: 0: must be greater than 0"},
		{name: "not a number", query: "tailLines=ten", wantCode: 400, wantMsg: `invalid tailLines "ten"`},
		{name: "bad sinceTime", query: "sinceTime=yesterday", wantCode: 400, wantMsg: `invalid sinceTime "yesterday"`},
		{name: "one stream only", query: "stream=Stderr", wantCode: 400, wantMsg: "stream=Stderr is not supported"},
		{name: "all streams", query: "stream=All", want: logOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseLogOptions(q, "web", now)
			if tt.wantCode != 0 {
				if code := api.CodeOf(err); code != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %d %v, want %d with %q", code, err, tt.wantCode, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(logOptions{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogContainer(t *testing.T) {
	pod := func(init []string, containers ...string) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web"}}
		for _, n := range init {
			p.Spec.InitContainers = append(p.Spec.InitContainers, api.Container{Name: n})
		}
		for _, n := range containers {
			p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: n})
		}
		return p
	}
	tests := []struct {
		name    string
		pod     *api.Pod
		asked   string
		want    string
		wantErr string
	}{
		{"the only container", pod(nil, "a"), "", "a", ""},
		{"the only container, init containers aside", pod([]string{"setup"}, "a"), "", "a", ""},
		{"named", pod(nil, "a", "b"), "b", "b", ""},
		{"an init container by name", pod([]string{"setup"}, "a", "b"), "setup", "setup", ""},
		{"must choose", pod(nil, "a", "b"), "", "", "a container name must be specified for pod web, choose one of: [a b]"},
		{"must choose, init containers listed first", pod([]string{"setup"}, "a", "b"), "", "",
			"a container name must be specified for pod web, choose one of: [setup a b]"},
		{"unknown", pod(nil, "a"), "x", "", "container x is not valid for pod web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := logContainer(tt.pod, tt.asked)
			if tt.wantErr != "" {
				if api.CodeOf(err) != 400 || err.Error() != tt.wantErr {
					t.Fatalf("got %v, want 400 %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
		})
	}
}
