package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/request"
)

// ErrEscalation is wrapped by the error ConfirmNoEscalation returns; the
// apiserver answers it with 403 Forbidden.
var ErrEscalation = errors.New("rbac: attempt to grant permissions not held")

// escalationError carries Kubernetes' message and unwraps to ErrEscalation.
type escalationError struct{ msg string }

func (e *escalationError) Error() string { return e.msg }
func (e *escalationError) Unwrap() error { return ErrEscalation }

// ConfirmNoEscalation returns nil if user already holds every permission in rules
// within namespace (cluster-wide when namespace is ""), so that creating or
// updating a role or binding with them cannot give anyone more than user has.
// Otherwise it returns an error wrapping ErrEscalation that lists what is
// missing. Callers first let through users allowed to "escalate" or "bind", and
// members of system:masters, as Kubernetes does.
func (z *Authorizer) ConfirmNoEscalation(user *request.User, namespace string, rules []api.PolicyRule) error {
	if user == nil {
		return &escalationError{msg: "no user on request"}
	}
	ok, missing := Covers(z.RulesFor(user, namespace), rules)
	if ok {
		return nil
	}
	var lines []string
	for _, r := range compactRules(missing) {
		lines = append(lines, compactString(r))
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	groups := user.Groups
	if groups == nil {
		groups = []string{}
	}
	return &escalationError{msg: fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s",
		user.Name, groups, strings.Join(lines, "\n"))}
}

// Covers reports whether the owner rules allow everything the requested rules
// do, and if not, which pieces are missing. Each requested rule is split into
// atomic pieces — one verb on one group, resource and name, or one verb on one
// URL — and each piece must be allowed by a single owner rule. A "*" in a
// requested rule is only covered by "*" in the owner rule ("*" is not the same
// as every value an owner happens to list), but an owner's "*" covers anything.
func Covers(owner, requested []api.PolicyRule) (bool, []api.PolicyRule) {
	var missing []api.PolicyRule
	for _, r := range requested {
		for _, piece := range breakdown(r) {
			if !slices.ContainsFunc(owner, func(o api.PolicyRule) bool { return ruleCovers(o, piece) }) {
				missing = append(missing, piece)
			}
		}
	}
	return len(missing) == 0, missing
}

// breakdown splits rule into atomic rules: one verb, one group, one resource and
// at most one name each, then one verb and one URL each.
func breakdown(rule api.PolicyRule) []api.PolicyRule {
	var pieces []api.PolicyRule
	for _, g := range rule.APIGroups {
		for _, res := range rule.Resources {
			for _, v := range rule.Verbs {
				p := api.PolicyRule{Verbs: []string{v}, APIGroups: []string{g}, Resources: []string{res}}
				if len(rule.ResourceNames) == 0 {
					pieces = append(pieces, p)
				}
				for _, n := range rule.ResourceNames {
					p.ResourceNames = []string{n}
					pieces = append(pieces, p)
				}
			}
		}
	}
	for _, u := range rule.NonResourceURLs {
		for _, v := range rule.Verbs {
			pieces = append(pieces, api.PolicyRule{Verbs: []string{v}, NonResourceURLs: []string{u}})
		}
	}
	return pieces
}

// ruleCovers reports whether owner covers piece, an atomic rule from breakdown.
func ruleCovers(owner, piece api.PolicyRule) bool {
	if len(piece.NonResourceURLs) > 0 {
		return covers(owner.Verbs, piece.Verbs[0]) && urlCovers(owner.NonResourceURLs, piece.NonResourceURLs[0])
	}
	return covers(owner.Verbs, piece.Verbs[0]) &&
		covers(owner.APIGroups, piece.APIGroups[0]) &&
		resourceCovers(owner.Resources, piece.Resources[0]) &&
		namesCover(owner.ResourceNames, piece.ResourceNames)
}

// covers reports whether owner lists "*" or exactly s. Unlike contains, a
// requested "*" is not covered by a list of specific values.
func covers(owner []string, s string) bool {
	return slices.Contains(owner, all) || slices.Contains(owner, s)
}

// resourceCovers: "pods/log" is also covered by "*/log".
func resourceCovers(owner []string, res string) bool {
	if covers(owner, res) {
		return true
	}
	_, sub, ok := strings.Cut(res, "/")
	return ok && slices.Contains(owner, "*/"+sub)
}

// namesCover: an owner without resourceNames covers any; one with them covers
// only those names, never "all names".
func namesCover(owner, names []string) bool {
	if len(owner) == 0 {
		return true
	}
	return len(names) == 1 && slices.Contains(owner, names[0])
}

// urlCovers: "/healthz/*" covers "/healthz/etcd" and "/healthz/*" itself; only
// "*" covers "*".
func urlCovers(owner []string, url string) bool {
	for _, o := range owner {
		if o == url || strings.HasSuffix(o, "*") && strings.HasPrefix(url, strings.TrimRight(o, "*")) {
			return true
		}
	}
	return false
}

// compactRules merges atomic resource rules that differ only in their verb, so
// an escalation error lists {Resources:["pods"], Verbs:["create" "delete"]}
// rather than one line per verb.
func compactRules(rules []api.PolicyRule) []api.PolicyRule {
	type key struct {
		group, resource string
		names           int // 0 or 1
		name            string
	}
	var out []api.PolicyRule
	index := map[key]int{}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 || len(r.APIGroups) != 1 || len(r.Resources) != 1 || len(r.ResourceNames) > 1 {
			out = append(out, r)
			continue
		}
		k := key{r.APIGroups[0], r.Resources[0], len(r.ResourceNames), strings.Join(r.ResourceNames, "")}
		if i, ok := index[k]; ok {
			out[i].Verbs = append(out[i].Verbs, r.Verbs...)
			continue
		}
		index[k] = len(out)
		r.Verbs = slices.Clone(r.Verbs)
		out = append(out, r)
	}
	return out
}

// compactString formats a rule as Kubernetes does in escalation errors:
// {APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}.
func compactString(r api.PolicyRule) string {
	var parts []string
	field := func(name string, values []string) {
		if len(values) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, values))
		}
	}
	field("APIGroups", r.APIGroups)
	field("Resources", r.Resources)
	field("NonResourceURLs", r.NonResourceURLs)
	field("ResourceNames", r.ResourceNames)
	field("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
