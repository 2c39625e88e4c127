package node

import (
	"skiff/pkg/api"
	"skiff/pkg/api/resource"
)

// capacity is what the machine has: its CPUs, memory, the size of the root
// dir's filesystem (when known) and maxPods pods.
func capacity(f hostFacts, maxPods int) api.ResourceList {
	c := api.ResourceList{
		api.ResourceCPU:    resource.NewQuantity(int64(f.CPUs), resource.DecimalSI),
		api.ResourceMemory: resource.NewQuantity(f.MemoryBytes, resource.BinarySI),
		api.ResourcePods:   resource.NewQuantity(int64(maxPods), resource.DecimalSI),
	}
	if f.DiskBytes > 0 {
		c[api.ResourceEphemeralStorage] = resource.NewQuantity(f.DiskBytes, resource.BinarySI)
	}
	return c
}

// allocatable is capacity minus what is reserved for the system, never below
// zero (the kubelet clamps the same way). Reservations of resources the node
// does not have are ignored.
func allocatable(capacity, reserved api.ResourceList) api.ResourceList {
	a := make(api.ResourceList, len(capacity))
	for name, q := range capacity {
		if r, ok := reserved[name]; ok {
			q.Sub(r)
			if q.Sign() < 0 {
				q = resource.NewQuantity(0, q.Format)
			}
		}
		a[name] = q
	}
	return a
}
