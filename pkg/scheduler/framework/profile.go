package framework

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"skiff/pkg/api"
)

// Profile is one configured scheduler: a name (pods select it with
// spec.schedulerName) and the plugins enabled at each extension point, in order.
type Profile struct {
	Name       string
	QueueSort  QueueSortPlugin
	PreFilter  []PreFilterPlugin
	Filter     []FilterPlugin
	PostFilter []PostFilterPlugin
	PreScore   []PreScorePlugin
	Score      []WeightedScorePlugin
	Reserve    []ReservePlugin
	Bind       []BindPlugin
	// PercentageOfNodesToScore bounds how many feasible nodes a cycle looks for in
	// a large cluster (0: adaptive, as kube-scheduler: 50% minus 1% per 125 nodes,
	// at least 5%, and never fewer than MinFeasibleNodesToFind).
	PercentageOfNodesToScore int
}

// WeightedScorePlugin is a Score plugin with its weight in the profile.
type WeightedScorePlugin struct {
	ScorePlugin
	Weight int64
}

// MinFeasibleNodesToFind is the fewest feasible nodes a cycle looks for before
// it stops filtering, however large the cluster.
const MinFeasibleNodesToFind = 100

// NewProfile builds a profile from plugins; each is placed at every extension
// point it implements. weights gives Score weights by plugin name (default 1).
func NewProfile(name string, plugins []Plugin, weights map[string]int64) (*Profile, error) {
	p := &Profile{Name: name}
	for _, pl := range plugins {
		if q, ok := pl.(QueueSortPlugin); ok {
			if p.QueueSort != nil {
				return nil, fmt.Errorf("profile %q: two queue sort plugins, %s and %s", name, p.QueueSort.Name(), q.Name())
			}
			p.QueueSort = q
		}
		if x, ok := pl.(PreFilterPlugin); ok {
			p.PreFilter = append(p.PreFilter, x)
		}
		if x, ok := pl.(FilterPlugin); ok {
			p.Filter = append(p.Filter, x)
		}
		if x, ok := pl.(PostFilterPlugin); ok {
			p.PostFilter = append(p.PostFilter, x)
		}
		if x, ok := pl.(PreScorePlugin); ok {
			p.PreScore = append(p.PreScore, x)
		}
		if x, ok := pl.(ScorePlugin); ok {
			w, set := weights[x.Name()]
			if !set {
				w = 1
			}
			if w < 0 {
				return nil, fmt.Errorf("profile %q: score weight of %s is negative", name, x.Name())
			}
			if w > 0 {
				p.Score = append(p.Score, WeightedScorePlugin{x, w})
			}
		}
		if x, ok := pl.(ReservePlugin); ok {
			p.Reserve = append(p.Reserve, x)
		}
		if x, ok := pl.(BindPlugin); ok {
			p.Bind = append(p.Bind, x)
		}
	}
	if p.QueueSort == nil {
		return nil, fmt.Errorf("profile %q: no queue sort plugin", name)
	}
	if len(p.Bind) == 0 {
		return nil, fmt.Errorf("profile %q: no bind plugin", name)
	}
	return p, nil
}

// Diagnosis says why a pod fits nowhere: each rejected node's status, with the
// plugin that rejected it, and any PreFilter rejection that applied to all.
type Diagnosis struct {
	NodeToStatus NodeToStatus
	// PreFilter is set when a PreFilter plugin rejected the pod outright.
	PreFilter *Status
	NumNodes  int
}

// FitError is returned when no node fits the pod.
type FitError struct {
	Pod       *api.Pod
	Diagnosis Diagnosis
}

func (e *FitError) Error() string { return Summary(e.Diagnosis) }

// Summary is the Kubernetes-style message: "0/5 nodes are available: 3
// Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}."
func Summary(d Diagnosis) string {
	if d.PreFilter != nil {
		return fmt.Sprintf("0/%d nodes are available: %s.", d.NumNodes, d.PreFilter.Message())
	}
	counts := map[string]int{}
	for _, st := range d.NodeToStatus {
		for _, r := range st.Reasons() {
			counts[r]++
		}
	}
	reasons := make([]string, 0, len(counts))
	for r := range counts {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if counts[reasons[i]] != counts[reasons[j]] {
			return counts[reasons[i]] > counts[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	msg := fmt.Sprintf("0/%d nodes are available", d.NumNodes)
	for i, r := range reasons {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		msg += fmt.Sprintf("%s%d %s", sep, counts[r], r)
	}
	return msg + "."
}

// Result is where a cycle decided the pod goes.
type Result struct {
	NodeName string
	// Evaluated and Feasible count the nodes filtered and those that passed.
	Evaluated, Feasible int
}

// Schedule runs PreFilter, Filter, PreScore and Score for pod over the
// snapshot in state, and picks the best node. startIndex rotates where
// filtering starts, so large clusters are searched fairly; the next start is
// returned. If no node fits, the error is a *FitError (after PostFilter ran).
func (p *Profile) Schedule(ctx context.Context, state *CycleState, pod *api.Pod, startIndex int) (Result, int, error) {
	nodes := state.Snapshot.List()
	if len(nodes) == 0 {
		return Result{}, 0, &FitError{Pod: pod, Diagnosis: Diagnosis{NumNodes: 0, NodeToStatus: NodeToStatus{}}}
	}
	diag := Diagnosis{NumNodes: len(nodes), NodeToStatus: NodeToStatus{}}
	skipFilter := map[string]bool{}
	for _, pl := range p.PreFilter {
		st := pl.PreFilter(ctx, state, pod).WithPlugin(pl.Name())
		switch {
		case st.IsSkip():
			skipFilter[pl.Name()] = true
		case st.IsRejected():
			diag.PreFilter = st
			return Result{}, startIndex, &FitError{Pod: pod, Diagnosis: diag}
		case !st.IsSuccess():
			return Result{}, startIndex, fmt.Errorf("prefilter %s: %w", pl.Name(), st.Err())
		}
	}
	var filters []FilterPlugin
	for _, f := range p.Filter {
		if !skipFilter[f.Name()] {
			filters = append(filters, f)
		}
	}
	feasible, next, err := p.findFeasible(ctx, state, pod, nodes, startIndex, filters, diag.NodeToStatus)
	if err != nil {
		return Result{}, next, err
	}
	if len(feasible) == 0 {
		return Result{}, next, p.postFilter(ctx, state, pod, filters, &FitError{Pod: pod, Diagnosis: diag})
	}
	res := Result{Evaluated: len(feasible) + len(diag.NodeToStatus), Feasible: len(feasible)}
	if len(feasible) == 1 {
		res.NodeName = feasible[0].Name()
		return res, next, nil
	}
	scores, err := p.score(ctx, state, pod, feasible)
	if err != nil {
		return Result{}, next, err
	}
	res.NodeName = selectHost(feasible, scores)
	return res, next, nil
}

// NumFeasibleNodesToFind is how many feasible nodes a cycle looks for among n.
func (p *Profile) NumFeasibleNodesToFind(n int) int {
	if n < MinFeasibleNodesToFind {
		return n
	}
	pct := p.PercentageOfNodesToScore
	if pct <= 0 {
		pct = max(50-n/125, 5)
	}
	if pct >= 100 {
		return n
	}
	return max(n*pct/100, MinFeasibleNodesToFind)
}

// findFeasible filters nodes in parallel, starting at startIndex and stopping
// once enough feasible nodes are found. Rejections go into statuses.
func (p *Profile) findFeasible(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo, startIndex int, filters []FilterPlugin, statuses NodeToStatus) ([]*NodeInfo, int, error) {
	n := len(nodes)
	want := p.NumFeasibleNodesToFind(n)
	if len(filters) == 0 {
		out := make([]*NodeInfo, 0, want)
		for i := 0; i < want; i++ {
			out = append(out, nodes[(startIndex+i)%n])
		}
		return out, (startIndex + want) % n, nil
	}

	feasible := make([]*NodeInfo, want)
	var found atomic.Int32
	var mu sync.Mutex
	var firstErr error
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	check := func(i int) {
		ni := nodes[(startIndex+i)%n]
		st := runFilters(cctx, filters, state, pod, ni)
		switch {
		case st.IsSuccess():
			k := found.Add(1)
			if int(k) > want {
				cancel()
				found.Add(-1)
				return
			}
			feasible[k-1] = ni
		case st.IsRejected():
			mu.Lock()
			statuses[ni.Name()] = st
			mu.Unlock()
		default:
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("filter %s on node %s: %w", st.Plugin(), ni.Name(), st.Err())
			}
			mu.Unlock()
			cancel()
		}
	}
	processed := parallelize(cctx, n, check)
	if firstErr != nil {
		return nil, startIndex, firstErr
	}
	if ctx.Err() != nil {
		return nil, startIndex, ctx.Err()
	}
	// Rejections found beyond the nodes processed in order are still true, so
	// they stay in the diagnosis.
	return feasible[:found.Load()], (startIndex + processed) % n, nil
}

// runFilters runs every filter on one node; the first rejection wins.
func runFilters(ctx context.Context, filters []FilterPlugin, state *CycleState, pod *api.Pod, ni *NodeInfo) *Status {
	for _, f := range filters {
		if st := f.Filter(ctx, state, pod, ni); !st.IsSuccess() {
			return st.WithPlugin(f.Name())
		}
	}
	return nil
}

// parallelize calls fn(0..n-1) on GOMAXPROCS workers in chunks until all are
// done or ctx is cancelled, and returns how many indexes were started.
func parallelize(ctx context.Context, n int, fn func(i int)) int {
	workers := min(runtime.GOMAXPROCS(0), n)
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n) && ctx.Err() == nil; i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
	return min(int(next.Load()), n)
}

// postFilter runs the PostFilter plugins (preemption) for a pod that fits
// nowhere, with the same filters the cycle ran; the FitError is returned either
// way, so the pod waits for its nomination (if any) to come true.
func (p *Profile) postFilter(ctx context.Context, state *CycleState, pod *api.Pod, filters []FilterPlugin, fe *FitError) error {
	if len(p.PostFilter) == 0 {
		return fe
	}
	state.RunFilters = func(ctx context.Context, pod *api.Pod, ni *NodeInfo) *Status {
		return runFilters(ctx, filters, state, pod, ni)
	}
	for _, pl := range p.PostFilter {
		_, st := pl.PostFilter(ctx, state, pod, fe.Diagnosis.NodeToStatus)
		if st.IsSuccess() {
			break
		}
		if st.Code() == Error {
			return fmt.Errorf("postfilter %s: %w", pl.Name(), st.Err())
		}
	}
	return fe
}

// score runs PreScore and the weighted Score plugins and returns each node's total.
func (p *Profile) score(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) ([]int64, error) {
	skip := map[string]bool{}
	for _, pl := range p.PreScore {
		st := pl.PreScore(ctx, state, pod, nodes)
		switch {
		case st.IsSkip():
			skip[pl.Name()] = true
		case !st.IsSuccess():
			return nil, fmt.Errorf("prescore %s: %w", pl.Name(), st.Err())
		}
	}
	var plugins []WeightedScorePlugin
	for _, pl := range p.Score {
		if !skip[pl.Name()] {
			plugins = append(plugins, pl)
		}
	}
	// One parallel pass over the nodes runs every plugin, then each plugin's
	// scores are normalized and weighed.
	lists := make([]NodeScoreList, len(plugins))
	for i := range lists {
		lists[i] = make(NodeScoreList, len(nodes))
	}
	var firstErr atomic.Pointer[error]
	parallelize(ctx, len(nodes), func(n int) {
		for i, pl := range plugins {
			s, st := pl.Score(ctx, state, pod, nodes[n])
			if !st.IsSuccess() {
				err := fmt.Errorf("score %s: %w", pl.Name(), st.Err())
				firstErr.CompareAndSwap(nil, &err)
			}
			lists[i][n] = NodeScore{Name: nodes[n].Name(), Score: s}
		}
	})
	if err := firstErr.Load(); err != nil {
		return nil, *err
	}
	totals := make([]int64, len(nodes))
	for i, pl := range plugins {
		list := lists[i]
		if norm, ok := pl.ScorePlugin.(ScoreNormalizer); ok {
			if st := norm.NormalizeScore(ctx, state, pod, list); !st.IsSuccess() {
				return nil, fmt.Errorf("normalize %s: %w", pl.Name(), st.Err())
			}
		}
		for n, s := range list {
			if s.Score < MinNodeScore || s.Score > MaxNodeScore {
				return nil, fmt.Errorf("plugin %s scored node %s %d, outside [%d, %d]", pl.Name(), s.Name, s.Score, MinNodeScore, MaxNodeScore)
			}
			totals[n] += s.Score * pl.Weight
		}
	}
	return totals, nil
}

// selectHost picks the highest total; ties go to the first in filter order,
// which rotates from cycle to cycle, so equal nodes share the load.
func selectHost(nodes []*NodeInfo, totals []int64) string {
	best := 0
	for i := range totals {
		if totals[i] > totals[best] {
			best = i
		}
	}
	return nodes[best].Name()
}

// RunReserve runs the Reserve plugins; on failure the ones that ran are undone.
func (p *Profile) RunReserve(ctx context.Context, state *CycleState, pod *api.Pod, node string) *Status {
	for i, pl := range p.Reserve {
		if st := pl.Reserve(ctx, state, pod, node); !st.IsSuccess() {
			for j := i; j >= 0; j-- {
				p.Reserve[j].Unreserve(ctx, state, pod, node)
			}
			return st.WithPlugin(pl.Name())
		}
	}
	return nil
}

// RunUnreserve undoes Reserve, in reverse order.
func (p *Profile) RunUnreserve(ctx context.Context, state *CycleState, pod *api.Pod, node string) {
	for i := len(p.Reserve) - 1; i >= 0; i-- {
		p.Reserve[i].Unreserve(ctx, state, pod, node)
	}
}

// RunBind runs the Bind plugins until one does not Skip.
func (p *Profile) RunBind(ctx context.Context, state *CycleState, pod *api.Pod, node string) *Status {
	for _, pl := range p.Bind {
		st := pl.Bind(ctx, state, pod, node)
		if st.IsSkip() {
			continue
		}
		return st.WithPlugin(pl.Name())
	}
	return NewStatus(Error, "no bind plugin bound the pod")
}

// PluginNames lists the profile's plugins at each extension point, for the log.
func (p *Profile) PluginNames() map[string][]string {
	out := map[string][]string{"queueSort": {p.QueueSort.Name()}}
	add := func(point string, pl Plugin) { out[point] = append(out[point], pl.Name()) }
	for _, x := range p.PreFilter {
		add("preFilter", x)
	}
	for _, x := range p.Filter {
		add("filter", x)
	}
	for _, x := range p.PostFilter {
		add("postFilter", x)
	}
	for _, x := range p.Score {
		out["score"] = append(out["score"], fmt.Sprintf("%s(%d)", x.Name(), x.Weight))
	}
	for _, x := range p.Bind {
		add("bind", x)
	}
	return out
}
