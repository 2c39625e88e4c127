package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"sigs.k8s.io/yaml"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins"
)

// Config is the scheduler's --config file: a subset of kube-scheduler's
// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), so its files
// read the same:
//
//	apiVersion: kubescheduler.config.k8s.io/v1
//	kind: KubeSchedulerConfiguration
//	profiles:
//	- schedulerName: bin-packing
//	  plugins:
//	    multiPoint:
//	      disabled: [{name: ImageLocality}]
//	    score:
//	      enabled: [{name: NodeResourcesFit, weight: 5}]
//	  pluginConfig:
//	  - name: NodeResourcesFit
//	    args: {scoringStrategy: {type: MostAllocated}}
//
// Every profile starts from the default plugins; multiPoint.enabled adds
// plugins (or sets weights), multiPoint.disabled removes them ("*": all of the
// defaults), and score.enabled / score.disabled change only scoring.
type Config struct {
	APIVersion               string          `json:"apiVersion,omitempty"`
	Kind                     string          `json:"kind,omitempty"`
	PercentageOfNodesToScore int             `json:"percentageOfNodesToScore,omitempty"`
	Profiles                 []ProfileConfig `json:"profiles,omitempty"`
}

// ProfileConfig is one profile.
type ProfileConfig struct {
	SchedulerName string         `json:"schedulerName"`
	Plugins       *PluginsConfig `json:"plugins,omitempty"`
	PluginConfig  []PluginArgs   `json:"pluginConfig,omitempty"`
}

// PluginsConfig changes the default plugin set.
type PluginsConfig struct {
	MultiPoint PluginSet `json:"multiPoint,omitempty"`
	Score      PluginSet `json:"score,omitempty"`
}

// PluginSet enables and disables plugins.
type PluginSet struct {
	Enabled  []PluginEntry `json:"enabled,omitempty"`
	Disabled []PluginEntry `json:"disabled,omitempty"`
}

// PluginEntry names a plugin, with a score weight when enabling.
type PluginEntry struct {
	Name   string `json:"name"`
	Weight int64  `json:"weight,omitempty"`
}

// PluginArgs are one plugin's arguments.
type PluginArgs struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

// LoadConfig reads a config file; an empty path is the default config (one
// profile, default-scheduler).
func LoadConfig(path string) (*Config, error) {
	cfg := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("scheduler config: %w", err)
		}
		if err := yaml.UnmarshalStrict(data, cfg); err != nil {
			return nil, fmt.Errorf("scheduler config %s: %w", path, err)
		}
	}
	if len(cfg.Profiles) == 0 {
		cfg.Profiles = []ProfileConfig{{SchedulerName: api.DefaultSchedulerName}}
	}
	if cfg.PercentageOfNodesToScore < 0 || cfg.PercentageOfNodesToScore > 100 {
		return nil, fmt.Errorf("scheduler config: percentageOfNodesToScore %d is not between 0 and 100", cfg.PercentageOfNodesToScore)
	}
	return cfg, nil
}

// BuildProfiles builds the configured profiles from the plugin registry.
func (cfg *Config) BuildProfiles(h framework.Handle) ([]*framework.Profile, error) {
	registry := plugins.NewRegistry()
	var out []*framework.Profile
	var errs []error
	for _, pc := range cfg.Profiles {
		p, err := buildProfile(pc, registry, h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.PercentageOfNodesToScore = cfg.PercentageOfNodesToScore
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

func buildProfile(pc ProfileConfig, registry map[string]framework.Factory, h framework.Handle) (*framework.Profile, error) {
	if pc.SchedulerName == "" {
		return nil, errors.New("scheduler config: a profile has no schedulerName")
	}
	refs := plugins.Default()
	weights := map[string]int64{}
	for _, r := range refs {
		weights[r.Name] = r.Weight
	}
	if pc.Plugins != nil {
		mp := pc.Plugins.MultiPoint
		for _, d := range mp.Disabled {
			refs = slices.DeleteFunc(refs, func(r plugins.PluginRef) bool { return d.Name == "*" || r.Name == d.Name })
		}
		for _, e := range append(mp.Enabled, pc.Plugins.Score.Enabled...) {
			if _, ok := registry[e.Name]; !ok {
				return nil, fmt.Errorf("profile %q: unknown plugin %q", pc.SchedulerName, e.Name)
			}
			if !slices.ContainsFunc(refs, func(r plugins.PluginRef) bool { return r.Name == e.Name }) {
				refs = append(refs, plugins.PluginRef{Name: e.Name})
			}
			if e.Weight != 0 {
				weights[e.Name] = e.Weight
			}
		}
		for _, d := range pc.Plugins.Score.Disabled {
			for _, r := range refs {
				if d.Name == "*" || r.Name == d.Name {
					weights[r.Name] = -1 // no scoring; see below
				}
			}
		}
	}
	args := map[string]json.RawMessage{}
	for _, a := range pc.PluginConfig {
		if _, ok := registry[a.Name]; !ok {
			return nil, fmt.Errorf("profile %q: pluginConfig for unknown plugin %q", pc.SchedulerName, a.Name)
		}
		args[a.Name] = a.Args
	}
	var built []framework.Plugin
	scoreWeights := map[string]int64{}
	for _, r := range refs {
		factory, ok := registry[r.Name]
		if !ok {
			return nil, fmt.Errorf("profile %q: unknown plugin %q", pc.SchedulerName, r.Name)
		}
		pl, err := factory(args[r.Name], h)
		if err != nil {
			return nil, fmt.Errorf("profile %q: plugin %s: %w", pc.SchedulerName, r.Name, err)
		}
		built = append(built, pl)
		switch w := weights[r.Name]; {
		case w < 0:
			scoreWeights[r.Name] = 0
		case w == 0:
			scoreWeights[r.Name] = 1
		default:
			scoreWeights[r.Name] = w
		}
	}
	return framework.NewProfile(pc.SchedulerName, built, scoreWeights)
}
