package serviceaccount

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"skiff/pkg/pki"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pki", "sa.key")

	created, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %v, want 0600", mode)
	}

	loaded, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Equal(created) {
		t.Error("reloaded key differs from the created one")
	}
	if keyID(&loaded.PublicKey) != keyID(&created.PublicKey) {
		t.Error("key id changed across a reload")
	}
}

func TestLoadOrCreateKeyRejects(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384PEM, err := pki.EncodeKey(p384)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{name: "not PEM", data: []byte("hello")},
		{name: "P-384 key", data: p384PEM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sa.key")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOrCreateKey(path); err == nil {
				t.Fatal("LoadOrCreateKey succeeded, want an error")
			}
			if got, _ := os.ReadFile(path); string(got) != string(tc.data) {
				t.Error("LoadOrCreateKey overwrote an existing file")
			}
		})
	}
}
