package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ServerClock reads the Date header and version of an HTTPS server whose
// certificate it has no way to verify, without credentials.
func TestServerClock(t *testing.T) {
	date := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var auth []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Date", date.Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"major":"1","minor":"32","gitVersion":"v1.32.0-skiff"}`))
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := time.Now()
	got, err := ServerClock(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Date.Equal(date) {
		t.Errorf("Date = %v, want %v", got.Date, date)
	}
	if got.Version != "v1.32.0-skiff" {
		t.Errorf("Version = %q, want v1.32.0-skiff", got.Version)
	}
	if got.Local.Before(before) || got.Local.After(time.Now()) {
		t.Errorf("Local = %v, not during the call", got.Local)
	}
	for _, a := range auth {
		if a != "" {
			t.Errorf("sent Authorization %q, want none", a)
		}
	}
}

func TestServerClockErrors(t *testing.T) {
	bad := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", "yesterday")
	}))
	t.Cleanup(bad.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := ServerClock(ctx, bad.URL); err == nil || !strings.Contains(err.Error(), "yesterday") {
		t.Errorf("bad Date: err = %v, want one naming it", err)
	}
	if _, err := ServerClock(ctx, "https://"+strings.TrimPrefix(plain.URL, "http://")); err == nil {
		t.Error("plain HTTP server: no error")
	}
}

// ContainerdVersion asks the machine's containerd, when there is one.
func TestContainerdVersion(t *testing.T) {
	// The client keeps dialling until its deadline: a short one.
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := ContainerdVersion(short, filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Error("no containerd at the address: no error")
	}
	if _, err := os.Stat(DefaultContainerdAddress); err != nil {
		t.Skipf("no containerd here: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := ContainerdVersion(ctx, DefaultContainerdAddress)
	if err != nil {
		t.Fatal(err)
	}
	if v == "" || v[0] < '0' || v[0] > '9' {
		t.Errorf("version %q, want one like 1.6.20", v)
	}
}
