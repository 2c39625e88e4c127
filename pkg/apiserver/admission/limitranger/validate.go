package limitranger

import (
	"fmt"
	"maps"
	"math/big"
	"slices"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// violations returns what a pod does wrong against a LimitRange, in Kubernetes'
// words: Container items bound each container (regular, then init), and Pod
// items bound the pod's totals. Persistent volume claim items have nothing to
// check in Skiff.
func violations(lr *api.LimitRange, pod *api.Pod) []string {
	var errs []string
	for _, item := range lr.Spec.Limits {
		switch item.Type {
		case api.LimitTypeContainer:
			for _, c := range slices.Concat(pod.Spec.Containers, pod.Spec.InitContainers) {
				errs = append(errs, bound(item, c.Resources.Requests, c.Resources.Limits)...)
			}
		case api.LimitTypePod:
			errs = append(errs, bound(item, podTotal(pod, requestsOf), podTotal(pod, limitsOf))...)
		}
	}
	return errs
}

// bound checks one container's, or one pod's, requests and limits against an
// item: every min, then every max, then every ratio, each by resource name.
func bound(item api.LimitRangeItem, requests, limits api.ResourceList) []string {
	var errs []string
	check := func(bounds api.ResourceList, f func(kind, name string, bound resource.Quantity, requests, limits api.ResourceList) string) {
		for _, name := range slices.Sorted(maps.Keys(bounds)) {
			if msg := f(item.Type, name, bounds[name], requests, limits); msg != "" {
				errs = append(errs, msg)
			}
		}
	}
	check(item.Min, minimum)
	check(item.Max, maximum)
	check(item.MaxLimitRequestRatio, ratio)
	return errs
}

// minimum: a request is required, and neither it nor a limit may be below the floor.
func minimum(kind, name string, floor resource.Quantity, requests, limits api.ResourceList) string {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	switch {
	case !hasReq:
		return fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", name, kind, floor)
	case req.Cmp(floor) < 0:
		return fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", name, kind, floor, req)
	case hasLim && lim.Cmp(floor) < 0:
		return fmt.Sprintf("minimum %s usage per %s is %s, but limit is %s", name, kind, floor, lim)
	}
	return ""
}

// maximum: a limit is required, and neither it nor a request may exceed the ceiling.
func maximum(kind, name string, ceiling resource.Quantity, requests, limits api.ResourceList) string {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	switch {
	case !hasLim:
		return fmt.Sprintf("maximum %s usage per %s is %s.  No limit is specified", name, kind, ceiling)
	case lim.Cmp(ceiling) > 0:
		return fmt.Sprintf("maximum %s usage per %s is %s, but limit is %s", name, kind, ceiling, lim)
	case hasReq && req.Cmp(ceiling) > 0:
		return fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", name, kind, ceiling, req)
	}
	return ""
}

// ratio: both a request and a limit are required, and limit/request may not
// exceed the maximum ratio. Kubernetes compares in thousandths; so does this.
func ratio(kind, name string, maxRatio resource.Quantity, requests, limits api.ResourceList) string {
	req, lim := requests[name], limits[name]
	prefix := fmt.Sprintf("%s max limit to request ratio per %s is %s, but", name, kind, maxRatio)
	switch {
	case req.MilliValue() == 0:
		return prefix + " no request is specified or request is 0"
	case lim.MilliValue() == 0:
		return prefix + " no limit is specified or limit is 0"
	}
	// limit/request > maxRatio, with both sides multiplied by request (in
	// thousandths) so the comparison stays exact.
	observed := new(big.Int).Mul(big.NewInt(lim.MilliValue()), big.NewInt(1000))
	allowed := new(big.Int).Mul(big.NewInt(maxRatio.MilliValue()), big.NewInt(req.MilliValue()))
	if observed.Cmp(allowed) <= 0 {
		return ""
	}
	return fmt.Sprintf("%s provided ratio is %f", prefix, float64(lim.MilliValue())/float64(req.MilliValue()))
}

func requestsOf(r api.ResourceRequirements) api.ResourceList { return r.Requests }
func limitsOf(r api.ResourceRequirements) api.ResourceList   { return r.Limits }

// podTotal is what a pod needs of each resource: the sum over its containers, or
// the largest init container if that is more, since init containers run one at
// a time before the others start.
func podTotal(pod *api.Pod, of func(api.ResourceRequirements) api.ResourceList) api.ResourceList {
	total := api.ResourceList{}
	for _, c := range pod.Spec.Containers {
		for name, q := range of(c.Resources) {
			sum := total[name]
			sum.Add(q)
			total[name] = sum
		}
	}
	for _, c := range pod.Spec.InitContainers {
		for name, q := range of(c.Resources) {
			if cur, ok := total[name]; !ok || q.Cmp(cur) > 0 {
				total[name] = q
			}
		}
	}
	return total
}
