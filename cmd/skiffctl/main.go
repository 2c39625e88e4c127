// Command skiffctl is Skiff's own command line, for what kubectl cannot show.
//
//	skiffctl why-pending POD [-n NAMESPACE] [--kubeconfig FILE]
//
// prints, for a pod the scheduler could not place, which plugin rejected each
// node and why.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
	"skiff/pkg/scheduler/whypending"
)

const usage = `skiffctl: Skiff's command line

Commands:
  why-pending POD [-n NAMESPACE] [--kubeconfig FILE]
      why the scheduler has not placed POD: which plugin rejected each node
  node-kubeconfig NODE --data-dir DIR [--out FILE] [--serving-cert F --serving-key F --node-ip IP]
      on the server: credentials for a node agent (CN system:node:NODE), and
      optionally its log service's serving certificate, signed by the cluster
      CA in the apiserver's data directory
  doctor [--role server|node|all] [--server https://HOST:6443] [--containerd-address S] [--cni-bin-dir D]
      check this machine for a Skiff server or node, and say what to fix
  token create [--ttl 24h] [--description TEXT] [--kubeconfig FILE]
      a bootstrap token for joining nodes; prints the nodeagent command that joins one
  token list | token delete ID [--kubeconfig FILE]
      (--kubeconfig default: $KUBECONFIG, else /var/lib/skiff/server/admin.kubeconfig)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "why-pending":
		err = whyPending(os.Args[2:], os.Stdout)
	case "node-kubeconfig":
		err = nodeKubeconfig(os.Args[2:], os.Stdout)
	case "doctor":
		err = doctorCmd(os.Args[2:], os.Stdout)
	case "token":
		err = token(os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "skiffctl: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "skiffctl:", err)
		os.Exit(1)
	}
}

// defaultKubeconfig is $KUBECONFIG, else ~/.kube/config.
func defaultKubeconfig() string {
	if kc := os.Getenv("KUBECONFIG"); kc != "" {
		return filepath.SplitList(kc)[0]
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".kube", "config")
}

func whyPending(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("why-pending", flag.ContinueOnError)
	ns := fs.String("n", "default", "namespace of the pod")
	fs.StringVar(ns, "namespace", "default", "namespace of the pod")
	kubeconfig := fs.String("kubeconfig", defaultKubeconfig(), "kubeconfig file")
	// The pod name may come before or after the flags.
	var name string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return errors.New("why-pending needs a pod name: skiffctl why-pending POD [-n NAMESPACE]")
	}
	c, err := client.NewFromKubeconfig(*kubeconfig)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pod, err := client.Pods(c, *ns).Get(ctx, name)
	if err != nil {
		return err
	}
	return explain(pod, out)
}

// explain prints the scheduler's verdict on pod.
func explain(pod *api.Pod, out io.Writer) error {
	if pod.Spec.NodeName != "" {
		_, err := fmt.Fprintf(out, "pod %s/%s is not pending: it is bound to node %s\n", pod.Namespace, pod.Name, pod.Spec.NodeName)
		return err
	}
	raw, ok := pod.Annotations[whypending.Annotation]
	if !ok {
		_, err := fmt.Fprintf(out, "pod %s/%s has no verdict from the scheduler yet (is a scheduler running for %q?)\n",
			pod.Namespace, pod.Name, schedulerName(pod))
		return err
	}
	b, err := whypending.Decode(raw)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pod %s/%s is Pending: ", pod.Namespace, pod.Name)
	return b.Print(out)
}

func schedulerName(p *api.Pod) string {
	if p.Spec.SchedulerName == "" {
		return api.DefaultSchedulerName
	}
	return p.Spec.SchedulerName
}
