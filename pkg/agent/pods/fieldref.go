package pods

import (
	"bufio"
	"fmt"
	"math"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// podFields is what the downward API (env fieldRef, downwardAPI volumes) reads
// beyond the pod object: what only the node knows.
type podFields struct {
	podIP  string
	hostIP string
}

// fieldValue returns the value of a pod field as the downward API gives it.
// whole says a map field (metadata.labels) may be asked for as a whole, as in
// downwardAPI volumes: one `key="value"` line per entry, sorted.
func fieldValue(pod *api.Pod, f podFields, path string, whole bool) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return pod.UID, nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		return f.hostIP, nil
	case "status.podIP", "status.podIPs":
		return f.podIP, nil
	case "metadata.labels", "metadata.annotations":
		if whole {
			m := pod.Labels
			if path == "metadata.annotations" {
				m = pod.Annotations
			}
			return formatMap(m), nil
		}
	}
	for _, prefix := range []string{"metadata.labels", "metadata.annotations"} {
		if key, ok := subscript(path, prefix); ok {
			if prefix == "metadata.labels" {
				return pod.Labels[key], nil
			}
			return pod.Annotations[key], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldRef %q", path)
}

// subscript parses "prefix['key']" (or double quotes).
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"[")
	if !ok || !strings.HasSuffix(rest, "]") || len(rest) < 3 {
		return "", false
	}
	rest = rest[:len(rest)-1]
	if q := rest[0]; (q == '\'' || q == '"') && rest[len(rest)-1] == q && len(rest) >= 2 {
		return rest[1 : len(rest)-1], true
	}
	return "", false
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = fmt.Sprintf("%s=%q", k, m[k])
	}
	return strings.Join(lines, "\n")
}

// resourceFieldValue returns a container's request or limit as the downward
// API gives it: rounded up in units of the divisor (default 1). An unset limit
// is the node's capacity, as the kubelet reports its allocatable.
func resourceFieldValue(pod *api.Pod, containerName string, sel *api.ResourceFieldSelector) (string, error) {
	if sel.ContainerName != "" {
		containerName = sel.ContainerName
	}
	var c *api.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == containerName {
			c = &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == containerName {
			c = &pod.Spec.InitContainers[i]
		}
	}
	if c == nil {
		return "", fmt.Errorf("resourceFieldRef: no container %q", containerName)
	}
	kind, name, ok := strings.Cut(sel.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported resourceFieldRef resource %q", sel.Resource)
	}
	list := c.Resources.Requests
	if kind == "limits" {
		list = c.Resources.Limits
	}
	q, set := list[name]
	divisor := resource.MustParse("1")
	if sel.Divisor != nil && sel.Divisor.Sign() > 0 {
		divisor = *sel.Divisor
	}
	switch name {
	case api.ResourceCPU:
		milli := q.MilliValue()
		if !set && kind == "limits" {
			milli = int64(goruntime.NumCPU()) * 1000
		}
		return strconv.FormatInt(ceilDiv(milli, divisor.MilliValue()), 10), nil
	case api.ResourceMemory, api.ResourceEphemeralStorage:
		v := q.Value()
		if !set && kind == "limits" && name == api.ResourceMemory {
			v = hostMemoryBytes()
		}
		return strconv.FormatInt(ceilDiv(v, divisor.Value()), 10), nil
	}
	return "", fmt.Errorf("unsupported resourceFieldRef resource %q", sel.Resource)
}

func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return a
	}
	return int64(math.Ceil(float64(a) / float64(b)))
}

// hostMemoryBytes reads MemTotal from /proc/meminfo (0 if it cannot).
func hostMemoryBytes() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
