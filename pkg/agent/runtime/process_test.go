package runtime

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProcessArgs(t *testing.T) {
	ep, cmd := []string{"/entry", "-x"}, []string{"serve", "--port=80"}
	for _, tc := range []struct {
		name                string
		entrypoint, cmd     []string
		command, args, want []string
	}{
		{"image defaults", ep, cmd, nil, nil, []string{"/entry", "-x", "serve", "--port=80"}},
		{"args replace cmd", ep, cmd, nil, []string{"debug"}, []string{"/entry", "-x", "debug"}},
		{"command replaces both", ep, cmd, []string{"sh"}, nil, []string{"sh"}},
		{"command and args", ep, cmd, []string{"sh", "-c"}, []string{"echo hi"}, []string{"sh", "-c", "echo hi"}},
		{"cmd only image", nil, []string{"sh"}, nil, nil, []string{"sh"}},
		{"args without entrypoint", nil, []string{"sh"}, nil, []string{"echo", "x"}, []string{"echo", "x"}},
		{"nothing", nil, nil, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ProcessArgs(tc.entrypoint, tc.cmd, tc.command, tc.args)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProcessArgsDoesNotAlias(t *testing.T) {
	ep := make([]string, 1, 10)
	ep[0] = "/entry"
	a := ProcessArgs(ep, nil, nil, []string{"a"})
	b := ProcessArgs(ep, nil, nil, []string{"b"})
	if a[1] != "a" || b[1] != "b" {
		t.Errorf("results share storage: %v %v", a, b)
	}
}

func TestProcessEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		image    []string
		hostname string
		env      []EnvVar
		want     []string
	}{
		{"default PATH", nil, "", nil, []string{DefaultPathEnv}},
		{"image env kept", []string{"PATH=/bin", "LANG=C"}, "", nil, []string{"PATH=/bin", "LANG=C"}},
		{"hostname", []string{"PATH=/bin"}, "web-0", nil, []string{"PATH=/bin", "HOSTNAME=web-0"}},
		{
			"container env overrides in place and appends",
			[]string{"PATH=/bin", "LANG=C"}, "web-0",
			[]EnvVar{{"LANG", "en_US.UTF-8"}, {"A", "1"}, {"HOSTNAME", "custom"}, {"A", "2"}, {"EMPTY", ""}},
			[]string{"PATH=/bin", "LANG=en_US.UTF-8", "HOSTNAME=custom", "A=2", "EMPTY="},
		},
		{"values with =", nil, "", []EnvVar{{"X", "a=b"}}, []string{DefaultPathEnv, "X=a=b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ProcessEnv(tc.image, tc.hostname, tc.env)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
