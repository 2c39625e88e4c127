package patch

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZZSlowCorpus(t *testing.T) {
	dir := os.Getenv("CORPUS")
	if dir == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.Split(string(data), "\n")
		var args [][]byte
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "[]byte(") {
				s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(l, "[]byte("), ")"))
				if err != nil {
					t.Fatal(err)
				}
				args = append(args, []byte(s))
			}
		}
		start := time.Now()
		var fn func(a, b []byte) ([]byte, error)
		switch os.Getenv("TARGET") {
		case "json":
			fn = ApplyJSONPatch
		case "merge":
			fn = ApplyMergePatch
		default:
			fn = func(a, b []byte) ([]byte, error) { return ApplyStrategicMergePatch(a, b, podSchema) }
		}
		out, err := fn(args[0], args[1])
		if d := time.Since(start); d > 20*time.Millisecond {
			t.Logf("%s: %v len(doc)=%d len(patch)=%d out=%d err=%v", filepath.Base(f), d, len(args[0]), len(args[1]), len(out), err)
		}
	}
}
