package rbac

import (
	"slices"
	"strings"
	"testing"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

func TestRuleAllows(t *testing.T) {
	tests := []struct {
		name string
		req  reqBuilder
		rule api.PolicyRule
		want bool
	}{
		{"exact", res("get", "pods"), pr("get", "", "pods"), true},
		{"star verb", res("escalate", "pods"), pr("*", "", "pods"), true},
		{"star group", res("get", "deployments").group("apps"), pr("get", "*", "deployments"), true},
		{"star resource", res("get", "pods").sub("log"), pr("get", "", "*"), true},
		{"other verb", res("list", "pods"), pr("get", "", "pods"), false},
		{"other group", res("get", "pods").group("apps"), pr("get", "", "pods"), false},
		{"no groups", res("get", "pods"), api.PolicyRule{Verbs: []string{"get"}, Resources: []string{"pods"}}, false},
		{"no verbs", res("get", "pods"), pr("", "", "pods"), false},
		{"subresource exact", res("get", "pods").sub("log"), pr("get", "", "pods/log"), true},
		{"subresource not by resource", res("get", "pods").sub("log"), pr("get", "", "pods"), false},
		{"resource not by subresource", res("get", "pods"), pr("get", "", "pods/log"), false},
		{"star subresource", res("get", "pods").sub("log"), pr("get", "", "*/log"), true},
		{"star subresource, other subresource", res("get", "pods").sub("status"), pr("get", "", "*/log"), false},
		{"star subresource, no subresource", res("get", "pods"), pr("get", "", "*/log"), false},
		{"resource/* is not a pattern (as upstream)", res("get", "pods").sub("log"), pr("get", "", "pods/*"), false},
		{"name listed", res("get", "pods").named("a"), pr("get", "", "pods", "a", "b"), true},
		{"name not listed", res("get", "pods").named("c"), pr("get", "", "pods", "a", "b"), false},
		{"names and no name", res("list", "pods"), pr("list", "", "pods", "a"), false},
		{"empty name listed, no name", res("list", "pods"), pr("list", "", "pods", ""), false},
		{"URL exact", path("get", "/healthz"), urlRule("get", "/healthz"), true},
		{"URL star", path("get", "/anything"), urlRule("get", "*"), true},
		{"URL prefix", path("get", "/apis/apps/v1"), urlRule("get", "/apis/*"), true},
		{"URL prefix is not its parent", path("get", "/apis"), urlRule("get", "/apis/*"), false},
		{"URL other", path("get", "/metrics"), urlRule("get", "/healthz"), false},
		{"URL rule, resource request", res("get", "healthz"), urlRule("get", "*"), false},
		{"resource rule, URL request", path("get", "/healthz"), pr("get", "*", "*"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RuleAllows(tt.req.info(), tt.rule); got != tt.want {
				t.Errorf("RuleAllows = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzRuleAllows feeds arbitrary requests and rules (lists are comma-separated;
// a rule is "verbs|groups|resources|names|urls") and checks that matching never
// panics and keeps its invariants:
//   - a rule with "*" for verbs, groups and resources allows every resource request;
//   - adding verbs to a rule never turns allow into deny;
//   - a rule covers itself, and an owner rule that Covers a rule allows
//     everything that rule allows (checked on rules shaped after the request).
func FuzzRuleAllows(f *testing.F) {
	f.Add("get", "", "pods", "", "", "", true, "get,list|,apps|pods,*/log|a|", "*|*|*||")
	f.Add("update", "apps", "deployments", "scale", "web", "", true, "update|apps|*/scale||", "update|apps|deployments/scale|web|")
	f.Add("get", "", "", "", "", "/healthz/etcd", false, "get||||/healthz/*", "get||||/healthz/et*")
	f.Add("list", "", "configmaps", "", "", "", true, "list||configmaps|settings|", "*|||||*")
	f.Add("get", "", "pods", "log", "web", "", true, "get||pods/log||", "get||pods||")
	f.Add("", "", "", "", "", "", false, "", "")
	f.Fuzz(func(t *testing.T, verb, group, resource, sub, name, urlPath string, isResource bool, ruleA, ruleB string) {
		info := &request.Info{IsResourceRequest: isResource, Verb: verb, APIGroup: group, Resource: resource,
			Subresource: sub, Name: name, Path: urlPath}
		a, b := fuzzRule(ruleA), fuzzRule(ruleB)
		allowedA := RuleAllows(info, a)

		if isResource && !RuleAllows(info, pr("*", "*", "*")) {
			t.Fatalf("a rule of stars denies %+v", info)
		}
		if isResource && !RuleAllows(info, pr("*", "*", "*", name)) && name != "" {
			t.Fatalf("a rule of stars naming %q denies %+v", name, info)
		}

		wider := a
		wider.Verbs = append(slices.Clone(a.Verbs), append(b.Verbs, verb+"x")...)
		if allowedA && !RuleAllows(info, wider) {
			t.Fatalf("adding verbs %v to %+v denies %+v", wider.Verbs, a, info)
		}

		if ok, missing := Covers([]api.PolicyRule{a}, []api.PolicyRule{a}); !ok {
			t.Fatalf("%+v does not cover itself: missing %v", a, missing)
		}
		// Covers is sound for requests a real path can produce (a resource name
		// never contains "/"; Kubernetes shares this limit): an owner that covers
		// a rule allows whatever that rule allows. Check the fuzzed pair and
		// every pair of rules shaped after the request.
		if strings.Contains(resource, "/") {
			return
		}
		candidates := append(rulesShapedAfter(info), a, b)
		for _, owner := range candidates {
			for _, servant := range candidates {
				ok, _ := Covers([]api.PolicyRule{owner}, []api.PolicyRule{servant})
				if ok && RuleAllows(info, servant) && !RuleAllows(info, owner) {
					t.Fatalf("%+v covers %+v, but only the second allows %+v", owner, servant, info)
				}
			}
		}
	})
}

// rulesShapedAfter returns rules that name what info asks for in the ways a
// rule can: exactly, with a subresource, "*/subresource", "*", with and
// without the name; or the path, the path as a prefix, and its parent as one.
func rulesShapedAfter(info *request.Info) []api.PolicyRule {
	verbs := [][]string{{info.Verb}, {"*"}}
	var rules []api.PolicyRule
	if !info.IsResourceRequest {
		parent, _, _ := strings.Cut(strings.TrimPrefix(info.Path, "/"), "/")
		for _, v := range verbs {
			for _, u := range []string{info.Path, info.Path + "*", "/" + parent + "/*", "*"} {
				rules = append(rules, api.PolicyRule{Verbs: v, NonResourceURLs: []string{u}})
			}
		}
		return rules
	}
	resources := []string{info.Resource, "*"}
	if info.Subresource != "" {
		resources = append(resources, info.Resource+"/"+info.Subresource, "*/"+info.Subresource)
	}
	for _, v := range verbs {
		for _, g := range []string{info.APIGroup, "*"} {
			for _, r := range resources {
				rule := api.PolicyRule{Verbs: v, APIGroups: []string{g}, Resources: []string{r}}
				rules = append(rules, rule)
				rule.ResourceNames = []string{info.Name}
				rules = append(rules, rule)
			}
		}
	}
	return rules
}

// fuzzRule decodes "verbs|groups|resources|names|urls", each a comma-separated
// list; an absent or empty field is an empty list.
func fuzzRule(s string) api.PolicyRule {
	f := strings.SplitN(s, "|", 5)
	f = append(f, make([]string, 5-len(f))...)
	list := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return api.PolicyRule{Verbs: list(f[0]), APIGroups: list(f[1]), Resources: list(f[2]), ResourceNames: list(f[3]), NonResourceURLs: list(f[4])}
}
