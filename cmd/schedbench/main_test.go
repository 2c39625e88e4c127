package main

import (
	"flag"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/schedbench"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []schedbench.Size
		wantErr bool
	}{
		{name: "defaults", args: []string{"--start-skiff", "bin"}, want: schedbench.DefaultSizes},
		{name: "quick", args: []string{"--start-skiff", "bin", "--quick"}, want: schedbench.QuickSizes},
		{name: "configs", args: []string{"--kubeconfigs", "a,b", "--configs", "10x20"}, want: []schedbench.Size{{Nodes: 10, Pods: 20}}},
		{name: "quick and configs", args: []string{"--start-skiff", "bin", "--quick", "--configs", "10x20"}, wantErr: true},
		{name: "no target", args: []string{"--quick"}, wantErr: true},
		{name: "bad size", args: []string{"--start-skiff", "bin", "--configs", "10by20"}, wantErr: true},
		{name: "no workers", args: []string{"--start-skiff", "bin", "--workers", "0"}, wantErr: true},
		{name: "no timeout", args: []string{"--start-skiff", "bin", "--timeout", "0s"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options
			fs := flag.NewFlagSet("schedbench", flag.ContinueOnError)
			o.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := o.Validate(configsSet(fs))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, o.parsed); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
			if cfg := o.config(o.parsed[0]); cfg.Workers != o.workers || cfg.Timeout != o.timeout || cfg.Timeout < time.Second {
				t.Errorf("config %+v does not carry --workers %d and --timeout %s", cfg, o.workers, o.timeout)
			}
		})
	}
}
