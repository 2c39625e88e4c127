package scheduler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"skiff/pkg/scheduler/framework"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaultConfig(t *testing.T) {
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := cfg.BuildProfiles(NewHandle(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 1 || profiles[0].Name != "default-scheduler" {
		t.Fatalf("profiles: %v", profiles)
	}
	got := profiles[0].PluginNames()
	want := map[string][]string{
		"queueSort":  {"PrioritySort"},
		"preFilter":  {"NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"},
		"filter":     {"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"},
		"postFilter": {"DefaultPreemption"},
		"score": {"TaintToleration(3)", "NodeAffinity(2)", "NodeResourcesFit(1)", "PodTopologySpread(2)", "InterPodAffinity(2)",
			"NodeResourcesBalancedAllocation(1)", "ImageLocality(1)"},
		"bind": {"DefaultBinder"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default profile (-want +got):\n%s", diff)
	}
}

func TestConfigProfiles(t *testing.T) {
	path := writeConfig(t, `
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  plugins:
    multiPoint:
      disabled: [{name: ImageLocality}, {name: DefaultPreemption}]
    score:
      enabled: [{name: NodeResourcesFit, weight: 5}]
      disabled: [{name: NodeResourcesBalancedAllocation}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := cfg.BuildProfiles(NewHandle(nil))
	if err != nil {
		t.Fatal(err)
	}
	var bin *framework.Profile
	for _, p := range profiles {
		if p.Name == "bin-packing" {
			bin = p
		}
	}
	if bin == nil {
		t.Fatal("no bin-packing profile")
	}
	names := bin.PluginNames()
	if diff := cmp.Diff([]string{"TaintToleration(3)", "NodeAffinity(2)", "NodeResourcesFit(5)", "PodTopologySpread(2)", "InterPodAffinity(2)"}, names["score"]); diff != "" {
		t.Errorf("bin-packing scores (-want +got):\n%s", diff)
	}
	if len(names["postFilter"]) != 0 {
		t.Errorf("preemption still enabled: %v", names["postFilter"])
	}
}

func TestConfigErrors(t *testing.T) {
	tests := map[string]string{
		"unknown field":         "profiles:\n- schedulerName: x\n  colour: blue\n",
		"unknown plugin":        "profiles:\n- schedulerName: x\n  plugins:\n    multiPoint:\n      enabled: [{name: Magic}]\n",
		"bad plugin args":       "profiles:\n- schedulerName: x\n  pluginConfig:\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: Random}}\n",
		"percentage":            "percentageOfNodesToScore: 120\n",
		"no scheduler name":     "profiles:\n- plugins: {}\n",
		"args for a non-plugin": "profiles:\n- schedulerName: x\n  pluginConfig:\n  - name: Magic\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadConfig(writeConfig(t, text))
			if err == nil {
				_, err = cfg.BuildProfiles(NewHandle(nil))
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Error("empty error")
			}
		})
	}
}
