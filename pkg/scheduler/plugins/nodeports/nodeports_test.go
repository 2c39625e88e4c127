package nodeports

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	st "skiff/pkg/scheduler/testing"
)

// statusOpt compares statuses by code and reasons.
var statusOpt = cmp.Transformer("Status", func(s *framework.Status) struct {
	Code    framework.Code
	Reasons []string
} {
	return struct {
		Code    framework.Code
		Reasons []string
	}{s.Code(), s.Reasons()}
})

func TestPreFilter(t *testing.T) {
	tests := []struct {
		name string
		pod  *api.Pod
		want *framework.Status
	}{
		{
			name: "no host ports skips",
			pod:  st.MakePod().Obj(),
			want: framework.NewStatus(framework.Skip),
		},
		{
			name: "host ports",
			pod:  st.MakePod().HostPort("TCP", "", 8080).Obj(),
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pl.(framework.PreFilterPlugin).PreFilter(context.Background(), framework.NewCycleState(nil), tt.pod)
			if diff := cmp.Diff(tt.want, got, statusOpt); diff != "" {
				t.Errorf("PreFilter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	conflict := framework.NewStatus(framework.Unschedulable, "node(s) didn't have free ports for the requested pod ports")
	tests := []struct {
		name     string
		pod      *api.Pod
		existing []*api.Pod
		want     *framework.Status
	}{
		{
			name:     "no host ports",
			pod:      st.MakePod().Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "", 8080).Obj()},
		},
		{
			name: "free node",
			pod:  st.MakePod().HostPort("TCP", "", 8080).Obj(),
		},
		{
			name:     "same port, protocol and IP",
			pod:      st.MakePod().HostPort("UDP", "127.0.0.1", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("UDP", "127.0.0.1", 8080).Obj()},
			want:     conflict,
		},
		{
			name:     "another protocol",
			pod:      st.MakePod().HostPort("UDP", "127.0.0.1", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "127.0.0.1", 8080).Obj()},
		},
		{
			name:     "empty protocol is TCP",
			pod:      st.MakePod().HostPort("", "127.0.0.1", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "127.0.0.1", 8080).Obj()},
			want:     conflict,
		},
		{
			name:     "another port",
			pod:      st.MakePod().HostPort("TCP", "127.0.0.1", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "127.0.0.1", 8081).Obj()},
		},
		{
			name:     "another IP",
			pod:      st.MakePod().HostPort("TCP", "10.0.0.1", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "10.0.0.2", 8080).Obj()},
		},
		{
			name:     "pod wants every IP",
			pod:      st.MakePod().HostPort("TCP", "0.0.0.0", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "10.0.0.2", 8080).Obj()},
			want:     conflict,
		},
		{
			name:     "node uses every IP",
			pod:      st.MakePod().HostPort("TCP", "10.0.0.1", 8080).Obj(),
			existing: []*api.Pod{st.MakePod().Name("old").HostPort("TCP", "", 8080).Obj()},
			want:     conflict,
		},
		{
			name: "one of several ports taken",
			pod:  st.MakePod().HostPort("TCP", "", 80).HostPort("TCP", "", 443).Obj(),
			existing: []*api.Pod{
				st.MakePod().Name("a").HostPort("TCP", "", 22).Obj(),
				st.MakePod().Name("b").HostPort("TCP", "", 443).Obj(),
			},
			want: conflict,
		},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	filter := pl.(framework.FilterPlugin)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ni := framework.NewNodeInfo(st.MakeNode().Obj(), tt.existing...)
			got := filter.Filter(context.Background(), framework.NewCycleState(nil), tt.pod, ni)
			if diff := cmp.Diff(tt.want, got, statusOpt); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}
