package apibench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// Identity is one way of calling the server in the authorization benchmark.
type Identity struct {
	Name   string
	Client *client.Client
}

// AuthChainConfig says how the identities are compared.
type AuthChainConfig struct {
	Rounds  int // rounds of creates; each identity takes a turn in every round
	PerTurn int // creates per identity per round
	Workers int
}

// DefaultAuthChainConfig interleaves 5 rounds of 400 creates at concurrency 8,
// so drift in the machine's load falls on every identity alike.
func DefaultAuthChainConfig() AuthChainConfig {
	return AuthChainConfig{Rounds: 5, PerTurn: 400, Workers: 8}
}

// TokenClient is a client for the server at url (CA in caFile) with a bearer token.
func TokenClient(url, caFile, token string) (*client.Client, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	return client.New(&client.Config{Server: url, CAData: ca, Token: token})
}

// AuthChain measures pod-create latency through the whole authentication,
// authorization and admission chain for each identity, in a namespace where
// rbacUser holds the edit ClusterRole through a RoleBinding. The first identity
// is the baseline; every other one also reports its added latency in percent.
func AuthChain(ctx context.Context, admin *client.Client, rbacUser string, ids []Identity, cfg AuthChainConfig) (*Result, error) {
	res := &Result{Target: "skiff"}
	ns := fmt.Sprintf("apibench-auth-%d", rand.IntN(1_000_000))
	if _, err := client.Namespaces(admin).Create(ctx, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}}); err != nil {
		return nil, err
	}
	defer func() {
		cleanup, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		client.Pods(admin, ns).DeleteCollection(cleanup, client.ListOptions{})
		client.Namespaces(admin).Delete(cleanup, ns, nil)
	}()
	binding := &api.RoleBinding{
		ObjectMeta: api.ObjectMeta{Name: "apibench-edit", Namespace: ns},
		Subjects:   []api.Subject{{Kind: api.UserKind, APIGroup: api.RBACGroup, Name: rbacUser}},
		RoleRef:    api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: "edit"},
	}
	if err := admin.Do(ctx, client.Request{Method: "POST", Path: "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings", Body: binding}); err != nil {
		return nil, fmt.Errorf("bind %s: %w", rbacUser, err)
	}
	// The binding reaches the authorizer's cache a moment after it is stored.
	for _, id := range ids {
		if err := waitAllowed(ctx, id.Client, ns); err != nil {
			return nil, fmt.Errorf("%s: %w", id.Name, err)
		}
	}

	lat := make([][]time.Duration, len(ids))
	for round := range cfg.Rounds {
		for i, id := range ids {
			pods := client.Pods(id.Client, ns)
			l, err := timeParallel(cfg.PerTurn, cfg.Workers, func(n int) error {
				_, err := pods.Create(ctx, podBody(ns, fmt.Sprintf("%s-%d-%05d", strings.ReplaceAll(id.Name, "_", "-"), round, n)))
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("create as %s: %w", id.Name, err)
			}
			lat[i] = append(lat[i], l...)
		}
	}
	base50, base99 := Percentile(lat[0], 50), Percentile(lat[0], 99)
	for i, id := range ids {
		p50, p99 := Percentile(lat[i], 50), Percentile(lat[i], 99)
		res.add(fmt.Sprintf("create_c%d_as_%s_p50", cfg.Workers, id.Name), ms(p50), "ms")
		res.add(fmt.Sprintf("create_c%d_as_%s_p99", cfg.Workers, id.Name), ms(p99), "ms")
		if i > 0 {
			res.add(fmt.Sprintf("added_latency_%s_p50", id.Name), 100*(float64(p50)/float64(base50)-1), "%")
			res.add(fmt.Sprintf("added_latency_%s_p99", id.Name), 100*(float64(p99)/float64(base99)-1), "%")
		}
	}
	return res, nil
}

func waitAllowed(ctx context.Context, c *client.Client, ns string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := client.Pods(c, ns).List(ctx, client.ListOptions{Limit: 1})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still not allowed to list pods in %s: %w", ns, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
