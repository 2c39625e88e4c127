// Command protonumbers writes the protobuf field-number table of
// skiff/pkg/apiserver/protobuf, and that package's golden test data, from the real
// Kubernetes API types. It lives in its own module so that Skiff itself never
// imports k8s.io.
//
// Run it from the package it writes into:
//
//	cd pkg/apiserver/protobuf && go generate
//
// or directly:
//
//	go -C hack/protonumbers run . -out ../../pkg/apiserver/protobuf
//
// It writes zz_generated_numbers.go and testdata/*.pb and testdata/*.json under -out.
// To move to a newer Kubernetes, bump k8s.io/api, k8s.io/apimachinery and
// k8s.io/client-go in this module's go.mod and run it again.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "", "directory of skiff/pkg/apiserver/protobuf")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "protonumbers:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	src, err := numbersFile()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "zz_generated_numbers.go"), src, 0o644); err != nil {
		return err
	}
	return writeGolden(filepath.Join(out, "testdata"))
}
