package labels

import "testing"

func TestSet(t *testing.T) {
	s := Set{"b": "2", "a.b": "3", "a": "1", "empty": ""}
	if !s.Has("empty") || s.Has("missing") {
		t.Errorf("Has: empty=%v missing=%v, want true false", s.Has("empty"), s.Has("missing"))
	}
	if got := s.Get("a"); got != "1" {
		t.Errorf("Get(a) = %q, want 1", got)
	}
	if got := s.Get("missing"); got != "" {
		t.Errorf("Get(missing) = %q, want empty", got)
	}
	if got, want := s.String(), "a=1,a.b=3,b=2,empty="; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := Set(nil).String(); got != "" {
		t.Errorf("nil String() = %q, want empty", got)
	}
}
