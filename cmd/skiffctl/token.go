package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"skiff/pkg/api"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
)

// defaultNodeTokenGroup is the extra group of tokens made by `token create`,
// as kubeadm's system:bootstrappers:kubeadm:default-node-token.
const defaultNodeTokenGroup = "system:bootstrappers:skiff:default-node-token"

// tokenKubeconfig is $KUBECONFIG, else the admin kubeconfig of a server with
// the default data directory.
func tokenKubeconfig() string {
	if kc := os.Getenv("KUBECONFIG"); kc != "" {
		return filepath.SplitList(kc)[0]
	}
	return "/var/lib/skiff/server/admin.kubeconfig"
}

// token runs `skiffctl token create|list|delete`.
func token(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("token needs a subcommand: create, list or delete")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", tokenKubeconfig(), "admin kubeconfig")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid (0: forever)")
	description := fs.String("description", "", "what the token is for")
	var id string
	if sub == "delete" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	c, err := client.NewFromKubeconfig(*kubeconfig)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch sub {
	case "create":
		return tokenCreate(ctx, c, *ttl, *description, time.Now(), out)
	case "list":
		return tokenList(ctx, c, time.Now(), out)
	case "delete":
		return tokenDelete(ctx, c, id, out)
	}
	return fmt.Errorf("unknown token subcommand %q: use create, list or delete", sub)
}

// tokenCreate makes a token for joining one or more nodes and prints the
// command that joins one.
func tokenCreate(ctx context.Context, c *client.Client, ttl time.Duration, description string, now time.Time, out io.Writer) error {
	if ttl < 0 {
		return fmt.Errorf("--ttl %v must not be negative", ttl)
	}
	cm, err := client.ConfigMaps(c, api.NamespacePublic).Get(ctx, bt.ClusterInfoName)
	if err != nil {
		return fmt.Errorf("read kube-public/cluster-info (the apiserver writes it at start): %w", err)
	}
	server, _, ca, err := bt.ParseClusterInfo(cm.Data[bt.KubeconfigKey])
	if err != nil {
		return err
	}
	tok, err := bt.GenerateToken()
	if err != nil {
		return err
	}
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	s, _ := bt.NewSecret(tok, description, expires, []string{"authentication", "signing"}, []string{defaultNodeTokenGroup})
	if _, err := client.Secrets(c, api.NamespaceSystem).Create(ctx, s); err != nil {
		return fmt.Errorf("create the token's Secret: %w", err)
	}
	_, err = fmt.Fprintf(out, "nodeagent --server %s --token %s --discovery-token-ca-cert-hash %s\n", server, tok, bt.CACertHash(ca))
	return err
}

// tokenList prints the bootstrap tokens, kubeadm token list's columns.
func tokenList(ctx context.Context, c *client.Client, now time.Time, out io.Writer) error {
	list, err := client.Secrets(c, api.NamespaceSystem).List(ctx, client.ListOptions{FieldSelector: "type=" + api.SecretTypeBootstrapToken})
	if err != nil {
		return err
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "TOKEN ID\tTTL\tEXPIRES\tUSAGES\tDESCRIPTION\tEXTRA GROUPS")
	for _, s := range list.Items {
		id, _, ok := bt.TokenOf(s)
		if !ok {
			continue
		}
		ttl, expires := "<forever>", "<never>"
		if exp, ok := bt.Expiration(s); ok {
			expires = exp.Format(time.RFC3339)
			ttl = "<expired>"
			if d := exp.Sub(now); d > 0 {
				ttl = d.Round(time.Minute).String()
			}
		}
		var usages []string
		for _, u := range []string{"authentication", "signing"} {
			if string(s.Data["usage-bootstrap-"+u]) == "true" {
				usages = append(usages, u)
			}
		}
		desc := string(s.Data[bt.DescriptionKey])
		if desc == "" {
			desc = "<none>"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", id, ttl, expires, strings.Join(usages, ","), desc, string(s.Data[bt.ExtraGroupsKey]))
	}
	return w.Flush()
}

// tokenDelete removes a token by id (or by the whole token).
func tokenDelete(ctx context.Context, c *client.Client, id string, out io.Writer) error {
	if tid, _, ok := bt.ParseToken(id); ok {
		id = tid
	}
	if _, _, ok := bt.ParseToken(id + ".0000000000000000"); !ok {
		return fmt.Errorf("token delete needs a token id (6 characters [a-z0-9], as in `skiffctl token list`), got %q", id)
	}
	if err := client.Secrets(c, api.NamespaceSystem).Delete(ctx, bt.SecretName(id), nil); err != nil {
		if api.IsNotFound(err) {
			return fmt.Errorf("no bootstrap token %q", id)
		}
		return err
	}
	_, err := fmt.Fprintf(out, "bootstrap token %q deleted\n", id)
	return err
}
