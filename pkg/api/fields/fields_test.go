package fields

import "testing"

func TestSet(t *testing.T) {
	s := Set{"spec.nodeName": "n1", "metadata.name": "a,b", "status.phase": ""}
	if !s.Has("status.phase") || s.Has("missing") {
		t.Errorf("Has: status.phase=%v missing=%v, want true false", s.Has("status.phase"), s.Has("missing"))
	}
	if got := s.Get("spec.nodeName"); got != "n1" {
		t.Errorf("Get = %q, want n1", got)
	}
	if got, want := s.String(), "metadata.name=a,b,spec.nodeName=n1,status.phase="; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
