// Package pods is the node agent's pod side: a Manager that keeps one worker
// goroutine per pod bound to the node, each reconciling the pod's spec with
// the container runtime (sandbox, network, volumes, init containers, then
// containers with their restart policy, image pulls and probes) and
// reporting the pod's status, with the kubelet's semantics. It works through
// small interfaces (runtime.Runtime, Network, StatusWriter, Objects), so it
// is tested with the fake runtime; APIStatus and APIObjects implement the
// last two over the apiserver. README.md has a diagram.
package pods
