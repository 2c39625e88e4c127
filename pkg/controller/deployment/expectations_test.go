package deployment

import (
	"testing"
	"time"

	"skiff/pkg/api"
)

func TestExpectations(t *testing.T) {
	type write struct {
		key, name, rv string
		age           time.Duration
	}
	tests := []struct {
		name    string
		writes  []write
		forget  [][2]string       // key, name
		cache   map[string]string // name → resourceVersion
		key     string
		want    string
		pending bool
	}{
		{name: "nothing written", key: "default/web"},
		{name: "not in the cache yet", writes: []write{{"default/web", "web-1", "10", 0}}, key: "default/web", want: "web-1", pending: true},
		{name: "cache behind", writes: []write{{"default/web", "web-1", "10", 0}}, cache: map[string]string{"web-1": "9"}, key: "default/web", want: "web-1", pending: true},
		{name: "cache caught up", writes: []write{{"default/web", "web-1", "10", 0}}, cache: map[string]string{"web-1": "10"}, key: "default/web"},
		{name: "cache ahead", writes: []write{{"default/web", "web-1", "10", 0}}, cache: map[string]string{"web-1": "12"}, key: "default/web"},
		{name: "the last write counts", writes: []write{{"default/web", "web-1", "10", 0}, {"default/web", "web-1", "12", 0}}, cache: map[string]string{"web-1": "11"}, key: "default/web", want: "web-1", pending: true},
		{name: "one of two behind", writes: []write{{"default/web", "web-1", "10", 0}, {"default/web", "web-2", "11", 0}}, cache: map[string]string{"web-1": "11", "web-2": "10"}, key: "default/web", want: "web-2", pending: true},
		{name: "timed out", writes: []write{{"default/web", "web-1", "10", expectationsTimeout + time.Second}}, key: "default/web"},
		{name: "not yet timed out", writes: []write{{"default/web", "web-1", "10", expectationsTimeout - time.Second}}, key: "default/web", want: "web-1", pending: true},
		{name: "another deployment's", writes: []write{{"default/api", "api-1", "10", 0}}, key: "default/web"},
		{name: "deleted", writes: []write{{"default/web", "web-1", "10", 0}}, forget: [][2]string{{"default/web", "web-1"}}, key: "default/web"},
		{name: "deployment deleted", writes: []write{{"default/web", "web-1", "10", 0}, {"default/web", "web-2", "11", 0}}, forget: [][2]string{{"default/web", ""}}, key: "default/web"},
		{name: "unreadable resourceVersion in the cache", writes: []write{{"default/web", "web-1", "10", 0}}, cache: map[string]string{"web-1": "x"}, key: "default/web"},
		{name: "unreadable resourceVersion written", writes: []write{{"default/web", "web-1", "x", 0}}, key: "default/web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(time.Hour)
			e := newExpectations()
			for _, w := range tt.writes {
				e.expect(w.key, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: w.name, ResourceVersion: w.rv}}, now.Add(-w.age))
			}
			for _, f := range tt.forget {
				e.forget(f[0], f[1])
			}
			get := func(name string) (*api.ReplicaSet, bool) {
				rv, ok := tt.cache[name]
				return &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: name, ResourceVersion: rv}}, ok
			}
			name, pending := e.pending(tt.key, get, now)
			if name != tt.want || pending != tt.pending {
				t.Errorf("pending = %q, %v; want %q, %v", name, pending, tt.want, tt.pending)
			}
			if !pending && len(e.m[tt.key]) != 0 {
				t.Errorf("expectations left after nothing is pending: %v", e.m[tt.key])
			}
		})
	}
}
