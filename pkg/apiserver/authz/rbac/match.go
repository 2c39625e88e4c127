package rbac

import (
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// all is the wildcard that matches any verb, API group, resource or URL.
const all = "*"

// RuleAllows reports whether rule permits the request described by info. It
// follows Kubernetes' matching exactly:
//
//   - the rule's verbs hold the request's verb, or "*";
//   - for a resource request, its apiGroups hold the request's group (or "*"), its
//     resources hold the resource ("pods"), the resource and subresource
//     ("pods/log"), "*", or "*/<subresource>" ("*/scale"), and its resourceNames
//     are empty or hold the request's name;
//   - for any other request (/healthz, /api, ...), its nonResourceURLs hold the
//     path, "*", or a prefix ending in "*" ("/healthz/*").
//
// Resource rules never match non-resource requests, and the other way round.
func RuleAllows(info *request.Info, rule api.PolicyRule) bool {
	if info == nil || !contains(rule.Verbs, info.Verb) {
		return false
	}
	if !info.IsResourceRequest {
		return urlMatches(rule.NonResourceURLs, info.Path)
	}
	return contains(rule.APIGroups, info.APIGroup) &&
		resourceMatches(rule.Resources, info.Resource, info.Subresource) &&
		nameMatches(rule.ResourceNames, info.Name)
}

// rulesAllow reports whether any of rules permits the request.
func rulesAllow(info *request.Info, rules []api.PolicyRule) bool {
	for _, r := range rules {
		if RuleAllows(info, r) {
			return true
		}
	}
	return false
}

// contains reports whether list holds s or the wildcard.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == all || x == s {
			return true
		}
	}
	return false
}

// resourceMatches is Kubernetes' ResourceMatches. A subresource is named
// "resource/subresource"; "*/subresource" names it for every resource. Plain
// "pods" does not reach "pods/log": subresources are always named explicitly.
func resourceMatches(rules []string, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined += "/" + subresource
	}
	for _, r := range rules {
		switch {
		case r == all, r == combined:
			return true
		case subresource != "" && r == "*/"+subresource:
			return true
		}
	}
	return false
}

// nameMatches: a rule without resourceNames applies to every object; a rule
// with them applies only to requests for one of those objects by name, so it
// never allows list, watch, create or deletecollection (which carry no name).
func nameMatches(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	if name == "" {
		return false
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// urlMatches reports whether path is one of urls, or starts with one that ends
// in "*" ("*" alone matches every path).
func urlMatches(urls []string, path string) bool {
	for _, u := range urls {
		if u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}
