package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
	"skiff/pkg/pki"
)

func TestTokenCreateListDelete(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	t.Setenv("KUBECONFIG", s.Kubeconfig)
	var out bytes.Buffer
	if err := token([]string{"create", "--ttl", "2h", "--description", "lab nodes"}, &out); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	m := regexp.MustCompile(`^nodeagent --server (https://\S+) --token ([a-z0-9]{6})\.([a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("token create printed %q, want the nodeagent join command on one line", line)
	}
	if m[1] != s.AdvertisedURL() {
		t.Errorf("server %s, want the advertised %s", m[1], s.AdvertisedURL())
	}
	cfg, _ := client.LoadKubeconfig(s.Kubeconfig)
	ca, _ := pki.ParseCert(cfg.CAData)
	if m[4] != bt.CACertHash(ca) {
		t.Errorf("hash %s, want the cluster CA's %s", m[4], bt.CACertHash(ca))
	}
	sec, err := client.Secrets(s.Client, api.NamespaceSystem).Get(ctx, "bootstrap-token-"+m[2])
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Data[bt.TokenSecretKey]) != m[3] || string(sec.Data[bt.UsageSigningKey]) != "true" ||
		string(sec.Data[bt.UsageAuthenticationKey]) != "true" || string(sec.Data[bt.ExtraGroupsKey]) != defaultNodeTokenGroup {
		t.Errorf("Secret data %v", sec.Data)
	}
	if exp, ok := bt.Expiration(sec); !ok || time.Until(exp) > 2*time.Hour || time.Until(exp) < 119*time.Minute {
		t.Errorf("expiration %s, want in 2h", sec.Data[bt.ExpirationKey])
	}

	out.Reset()
	if err := token([]string{"list"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), m[2]) || !strings.Contains(out.String(), "authentication,signing") || !strings.Contains(out.String(), "lab nodes") {
		t.Errorf("token list:\n%s", out.String())
	}
	if strings.Contains(out.String(), m[3]) {
		t.Error("token list shows the secret part")
	}

	out.Reset()
	if err := token([]string{"delete", m[2]}, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Secrets(s.Client, api.NamespaceSystem).Get(ctx, "bootstrap-token-"+m[2]); !api.IsNotFound(err) {
		t.Errorf("after delete: %v", err)
	}
	if err := token([]string{"delete", m[2]}, &out); err == nil || !strings.Contains(err.Error(), "no bootstrap token") {
		t.Errorf("deleting again: %v", err)
	}
	if err := token([]string{"delete", "../x"}, &out); err == nil {
		t.Error("a malformed id was accepted")
	}
}
