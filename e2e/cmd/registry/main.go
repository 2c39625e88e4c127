// Command registry is an in-memory OCI registry on a loopback address for the
// e2e tests (go-containerregistry's registry package). It first pushes the
// OCI image archives given with --push into itself, then prints "ready", and
// logs every request it serves afterwards as a line
//
//	request METHOD PATH STATUS
//
// on stdout, so a test can count what a node pulled.
//
//	registry --addr 127.0.0.1:5000 --push busybox.tar=127.0.0.1:5000/e2e/busybox:1
package main

import (
	"archive/tar"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type pushes []string

func (p *pushes) String() string     { return strings.Join(*p, ",") }
func (p *pushes) Set(s string) error { *p = append(*p, s); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:5000", "address to serve on (loopback only)")
	var push pushes
	flag.Var(&push, "push", "ARCHIVE=REF: push the OCI layout tar ARCHIVE as REF before serving requests (repeatable)")
	flag.Parse()
	if err := run(*addr, push); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

func run(addr string, push []string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %s: serve on a loopback address only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var out sync.Mutex
	var ready bool
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		reg.ServeHTTP(rec, r)
		out.Lock()
		defer out.Unlock()
		if ready { // the pushes' own requests are not logged
			fmt.Printf("request %s %s %d\n", r.Method, r.URL.Path, rec.status)
		}
	})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for _, p := range push {
		archive, ref, ok := strings.Cut(p, "=")
		if !ok {
			return fmt.Errorf("--push %q: want ARCHIVE=REF", p)
		}
		if err := pushArchive(archive, ref); err != nil {
			return fmt.Errorf("push %s as %s: %w", archive, ref, err)
		}
	}
	out.Lock()
	ready = true
	fmt.Println("ready")
	out.Unlock()
	return <-errc
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// pushArchive pushes the one image of an OCI layout tar as ref (plain HTTP).
func pushArchive(archive, ref string) error {
	dir, err := os.MkdirTemp("", "registry-layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := untar(archive, dir); err != nil {
		return err
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		return err
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) != 1 {
		return fmt.Errorf("the archive holds %d images, want 1", len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	nref, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(nref, img)
}

// untar unpacks the regular files and directories of a tar into dir.
func untar(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			w, err := os.Create(target)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
