package nodeipam

import (
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string // a substring; "" for valid
	}{
		{name: "defaults", opts: Options{}},
		{name: "explicit", opts: Options{ClusterCIDR: "10.100.0.0/16", NodeCIDRMaskSize: 26}},
		{name: "one CIDR for all", opts: Options{ClusterCIDR: "10.100.0.0/24", NodeCIDRMaskSize: 24}},
		{name: "not a CIDR", opts: Options{ClusterCIDR: "10.100.0.0"}, wantErr: "is not a CIDR"},
		{name: "IPv6", opts: Options{ClusterCIDR: "fd00::/48", NodeCIDRMaskSize: 64}, wantErr: "only IPv4"},
		{name: "host bits", opts: Options{ClusterCIDR: "10.244.1.0/16"}, wantErr: "did you mean 10.244.0.0/16"},
		{name: "mask shorter than the cluster's", opts: Options{ClusterCIDR: "10.244.0.0/16", NodeCIDRMaskSize: 8}, wantErr: "between"},
		{name: "mask too long", opts: Options{ClusterCIDR: "10.244.0.0/16", NodeCIDRMaskSize: 33}, wantErr: "between"},
		{name: "too many node CIDRs", opts: Options{ClusterCIDR: "10.0.0.0/8", NodeCIDRMaskSize: 26}, wantErr: "at most 24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate: %v, want valid", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
