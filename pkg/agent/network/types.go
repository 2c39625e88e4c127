package network

import "fmt"

// PodRef names the pod that a network attachment belongs to. UID is used as
// the CNI container ID, so it must be a valid one (letters, digits, '_', '.'
// and '-', starting with a letter or digit), as Kubernetes UIDs are.
type PodRef struct{ UID, Namespace, Name string }

// PortMapping is one hostPort of a pod, handed to the portmap plugin.
// Protocol is TCP (the default when empty), UDP or SCTP in any case; HostIP ""
// means every address of the node. A mapping with HostPort 0 is skipped, as
// Kubernetes skips containerPorts without a hostPort.
type PortMapping struct {
	HostPort, ContainerPort int32
	Protocol, HostIP        string
}

// String formats a pod as namespace/name (uid).
func (p PodRef) String() string {
	return fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, p.UID)
}
