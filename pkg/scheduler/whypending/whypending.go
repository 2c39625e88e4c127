// Package whypending is the answer to "why is my pod Pending?": for a pod the
// scheduler could not place, which plugin rejected each node and why. The
// scheduler writes it as JSON in the pod's annotation Annotation; `skiffctl
// why-pending` (or kubectl with jsonpath) reads it back.
package whypending

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"skiff/pkg/scheduler/framework"
)

// Annotation is where the scheduler puts the breakdown on a pending pod.
const Annotation = "scheduler.skiff.dev/why-pending"

// MaxNodesPerGroup caps the node names listed for one plugin and reason, so
// the annotation stays small in large clusters; the rest are counted.
const MaxNodesPerGroup = 50

// Breakdown is the scheduler's last verdict on a pending pod.
type Breakdown struct {
	Time    time.Time `json:"time"`
	Summary string    `json:"summary"`
	// Nodes is how many nodes the scheduler considered.
	Nodes int `json:"nodes"`
	// Rejections group the nodes by the plugin and reason that rejected them,
	// most nodes first.
	Rejections []Rejection `json:"rejections"`
}

// Rejection is one plugin's reason, and the nodes it applied to.
type Rejection struct {
	Plugin string   `json:"plugin"`
	Reason string   `json:"reason"`
	Nodes  []string `json:"nodes"`
	// More counts nodes beyond those listed.
	More int `json:"more,omitempty"`
}

// FromDiagnosis builds the breakdown of a failed scheduling attempt.
func FromDiagnosis(d framework.Diagnosis, now time.Time) *Breakdown {
	b := &Breakdown{Time: now.UTC().Truncate(time.Second), Summary: framework.Summary(d), Nodes: d.NumNodes}
	if d.PreFilter != nil {
		b.Rejections = []Rejection{{Plugin: d.PreFilter.Plugin(), Reason: d.PreFilter.Message(), Nodes: []string{"*"}}}
		return b
	}
	type key struct{ plugin, reason string }
	groups := map[key][]string{}
	for node, st := range d.NodeToStatus {
		for _, r := range st.Reasons() {
			k := key{st.Plugin(), r}
			groups[k] = append(groups[k], node)
		}
	}
	for k, nodes := range groups {
		sort.Strings(nodes)
		rej := Rejection{Plugin: k.plugin, Reason: k.reason, Nodes: nodes}
		if len(nodes) > MaxNodesPerGroup {
			rej.Nodes, rej.More = nodes[:MaxNodesPerGroup], len(nodes)-MaxNodesPerGroup
		}
		b.Rejections = append(b.Rejections, rej)
	}
	sort.Slice(b.Rejections, func(i, j int) bool {
		a, c := b.Rejections[i], b.Rejections[j]
		if na, nc := len(a.Nodes)+a.More, len(c.Nodes)+c.More; na != nc {
			return na > nc
		}
		if a.Plugin != c.Plugin {
			return a.Plugin < c.Plugin
		}
		return a.Reason < c.Reason
	})
	return b
}

// Encode returns the annotation value.
func (b *Breakdown) Encode() string {
	data, _ := json.Marshal(b)
	return string(data)
}

// Decode reads an annotation value.
func Decode(s string) (*Breakdown, error) {
	var b Breakdown
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return nil, fmt.Errorf("whypending: the annotation is not a breakdown: %w", err)
	}
	return &b, nil
}

// Print writes the breakdown for people: the summary, then one line per node
// with the plugin that rejected it and why.
func (b *Breakdown) Print(w io.Writer) error {
	fmt.Fprintf(w, "%s\n(as of %s)\n\n", b.Summary, b.Time.Format(time.RFC3339))
	type row struct {
		plugin  string
		reasons []string
	}
	rows := map[string]*row{}
	var nodes []string
	var more []string
	for _, r := range b.Rejections {
		for _, n := range r.Nodes {
			if rows[n] == nil {
				rows[n] = &row{plugin: r.Plugin}
				nodes = append(nodes, n)
			}
			rows[n].reasons = append(rows[n].reasons, r.Reason)
		}
		if r.More > 0 {
			more = append(more, fmt.Sprintf("%d more nodes: %s: %s", r.More, r.Plugin, r.Reason))
		}
	}
	sort.Strings(nodes)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tPLUGIN\tREASON")
	for _, n := range nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", n, rows[n].plugin, strings.Join(rows[n].reasons, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range more {
		fmt.Fprintln(w, m)
	}
	return nil
}
