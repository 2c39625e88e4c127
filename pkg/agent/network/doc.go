// Package network gives the node agent's pods their network through CNI: a
// bridge on the node with the node's pod CIDR (host-local IPAM), masquerading
// for traffic leaving the CIDR, hostPorts through portmap, and the pod's
// loopback through the loopback plugin.
//
// CNI runs the plugins (Debian's containernetworking-plugins) with libcni in the
// network namespace of the calling thread, so an agent in the host's namespace
// configures the host; see README.md for the moving parts.
package network
