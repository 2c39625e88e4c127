package nodelifecycle

import (
	"testing"
	"time"

	"skiff/pkg/api"
)

func TestEvictionTime(t *testing.T) {
	now := at(time.Minute)
	const noExec = api.TaintEffectNoExecute
	// Taints are added a quarter second into a second; timeAdded keeps the
	// second (as the API stores it), and tolerations count from its end.
	unreachableSince := func(d time.Duration) []api.Taint {
		return makeNode("n").taint(taintUnreachable, noExec, at(d).Add(250*time.Millisecond).Truncate(time.Second)).obj().Spec.Taints
	}
	never := time.Duration(-1)
	tests := []struct {
		name   string
		pod    *api.Pod
		taints []api.Taint
		want   time.Duration // since t0; never: no eviction
	}{
		{
			name:   "no taints",
			pod:    makePod("p", "n").obj(),
			taints: nil,
			want:   never,
		},
		{
			name:   "NoSchedule taints never evict",
			pod:    makePod("p", "n").obj(),
			taints: makeNode("n").taint(taintUnreachable, api.TaintEffectNoSchedule, at(0)).obj().Spec.Taints,
			want:   never,
		},
		{
			name:   "not tolerated: at once",
			pod:    makePod("p", "n").obj(),
			taints: unreachableSince(0),
			want:   time.Minute,
		},
		{
			name:   "tolerated without seconds: never",
			pod:    makePod("p", "n").tolerate(taintUnreachable, noExec).obj(),
			taints: unreachableSince(0),
			want:   never,
		},
		{
			name:   "tolerated for 300 s: 300 s after the end of the second the taint was added in",
			pod:    makePod("p", "n").tolerate(taintUnreachable, noExec, 300).obj(),
			taints: unreachableSince(30 * time.Second),
			want:   331 * time.Second,
		},
		{
			name:   "toleration already run out: at the deadline, which has passed",
			pod:    makePod("p", "n").tolerate(taintUnreachable, noExec, 10).obj(),
			taints: unreachableSince(0),
			want:   11 * time.Second,
		},
		{
			name:   "negative seconds count as zero",
			pod:    makePod("p", "n").tolerate(taintUnreachable, noExec, -3).obj(),
			taints: unreachableSince(20 * time.Second),
			want:   21 * time.Second,
		},
		{
			name:   "no timeAdded: counts from now (the end of this second)",
			pod:    makePod("p", "n").tolerate(taintUnreachable, noExec, 5).obj(),
			taints: []api.Taint{{Key: taintUnreachable, Effect: noExec}},
			want:   time.Minute + 6*time.Second,
		},
		{
			name:   "timeAdded in the future (another clock): counts from now",
			pod:    makePod("p", "n").tolerate(taintUnreachable, noExec, 5).obj(),
			taints: unreachableSince(time.Hour),
			want:   time.Minute + 6*time.Second,
		},
		{
			name: "two taints: the earliest deadline",
			pod: makePod("p", "n").tolerate(taintUnreachable, noExec, 300).
				tolerate("example.com/maintenance", noExec, 30).obj(),
			taints: append(unreachableSince(0), makeNode("n").taint("example.com/maintenance", noExec, at(50*time.Second)).Spec.Taints...),
			want:   81 * time.Second,
		},
		{
			name: "two taints, one not tolerated: at once",
			pod:  makePod("p", "n").tolerate(taintUnreachable, noExec).obj(),
			taints: append(unreachableSince(0),
				makeNode("n").taint(taintNotReady, noExec, at(0)).Spec.Taints...),
			want: time.Minute,
		},
		{
			name: "the first matching toleration counts",
			pod: makePod("p", "n").tolerate(taintUnreachable, noExec, 10).
				tolerate("", "").obj(), // tolerates everything, forever, but comes second
			taints: unreachableSince(0),
			want:   11 * time.Second,
		},
		{
			name: "a toleration for any key tolerates the taint",
			pod: func() *api.Pod {
				p := makePod("p", "n").obj()
				p.Spec.Tolerations = []api.Toleration{{Operator: api.TolerationOpExists}}
				return p
			}(),
			taints: unreachableSince(0),
			want:   never,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, evict := evictionTime(tt.pod, tt.taints, now)
			switch {
			case tt.want == never && evict:
				t.Errorf("evict at t0+%v, want never", got.Sub(t0))
			case tt.want != never && !evict:
				t.Errorf("never evicted, want at t0+%v", tt.want)
			case tt.want != never && !got.Equal(at(tt.want)):
				t.Errorf("evict at t0+%v, want t0+%v", got.Sub(t0), tt.want)
			}
		})
	}
}
