//go:build !linux

package node

import "errors"

// readHost is only implemented on Linux, the only system a node agent runs on.
func readHost(string) (hostFacts, error) {
	return hostFacts{}, errors.New("node: reading host facts is only supported on Linux")
}
