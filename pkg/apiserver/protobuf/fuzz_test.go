package protobuf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, that every error it returns wraps
// ErrInvalid, and that whatever it decodes can be written as JSON again. target picks
// the Skiff kind to decode into; the seeds are the golden client-go bodies.
func FuzzDecode(f *testing.F) {
	kindIndex := map[string]int{}
	for i, k := range kinds {
		kindIndex[strings.ToLower(reflect.TypeOf(k).Name())] = i
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.pb"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".pb"), "-")
		f.Add(uint8(kindIndex[name]), data)
	}
	f.Add(uint8(0), []byte("k8s\x00"))
	f.Fuzz(func(t *testing.T, target uint8, data []byte) {
		obj := reflect.New(reflect.TypeOf(kinds[int(target)%len(kinds)])).Interface()
		if _, _, err := Decode(data, obj); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if _, err := json.Marshal(obj); err != nil {
			t.Fatalf("decoded %T does not marshal as JSON: %v", obj, err)
		}
	})
}
