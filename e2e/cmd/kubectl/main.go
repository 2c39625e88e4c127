// Command kubectl is upstream kubectl, built from k8s.io/kubectl in this separate
// module so Skiff's compatibility tests can run a current kubectl while the
// product binaries never depend on Kubernetes' code.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
