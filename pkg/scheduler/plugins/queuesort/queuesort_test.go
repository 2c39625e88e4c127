package queuesort

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

func TestLess(t *testing.T) {
	tests := []struct {
		name string
		a, b *framework.QueuedPodInfo
		want bool
	}{
		{
			name: "higher priority first",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Priority(10).Obj(), Timestamp: 2},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Priority(5).Obj(), Timestamp: 1},
			want: true,
		},
		{
			name: "lower priority later",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Priority(5).Obj(), Timestamp: 1},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Priority(10).Obj(), Timestamp: 2},
			want: false,
		},
		{
			name: "equal priority, earlier first",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Priority(5).Obj(), Timestamp: 1},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Priority(5).Obj(), Timestamp: 2},
			want: true,
		},
		{
			name: "equal priority, later second",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Priority(5).Obj(), Timestamp: 2},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Priority(5).Obj(), Timestamp: 1},
			want: false,
		},
		{
			name: "equal priority and time is not less",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Obj(), Timestamp: 1},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Obj(), Timestamp: 1},
			want: false,
		},
		{
			name: "nil priority counts as zero",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Obj(), Timestamp: 1},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Priority(0).Obj(), Timestamp: 2},
			want: true,
		},
		{
			name: "negative priority after nil",
			a:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("a").Priority(-1).Obj(), Timestamp: 1},
			b:    &framework.QueuedPodInfo{Pod: st.MakePod().Name("b").Obj(), Timestamp: 2},
			want: false,
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sorter := pl.(framework.QueueSortPlugin)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sorter.Less(tt.a, tt.b)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Less (-want +got):\n%s", diff)
			}
		})
	}
}
