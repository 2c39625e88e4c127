package containerd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCgroupOOMKilled(t *testing.T) {
	v1 := t.TempDir()
	writeFile(t, filepath.Join(v1, "memory/skiff/podu/killed/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
	writeFile(t, filepath.Join(v1, "memory/skiff/podu/fine/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
	v2 := t.TempDir()
	writeFile(t, filepath.Join(v2, "cgroup.controllers"), "cpu memory pids\n")
	writeFile(t, filepath.Join(v2, "skiff/podu/killed/memory.events"), "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n")
	writeFile(t, filepath.Join(v2, "skiff/podu/fine/memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")

	for _, root := range []string{v1, v2} {
		c := newCgroups(root)
		if c.unified != (root == v2) {
			t.Fatalf("%s: unified = %v", root, c.unified)
		}
		for path, want := range map[string]bool{"/skiff/podu/killed": true, "/skiff/podu/fine": false, "/skiff/podu/gone": false, "": false} {
			got, err := c.oomKilled(path)
			if err != nil || got != want {
				t.Errorf("unified=%v oomKilled(%q) = %v, %v; want %v", c.unified, path, got, err, want)
			}
		}
	}
}

func TestCgroupRemove(t *testing.T) {
	root := t.TempDir()
	for _, h := range []string{"cpu", "memory", "pids"} {
		for _, d := range []string{"skiff/podu/c1", "skiff/podu/c2", "other"} {
			if err := os.MkdirAll(filepath.Join(root, h, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink("cpu", filepath.Join(root, "cpu,cpuacct")); err != nil {
		t.Fatal(err)
	}
	c := newCgroups(root)

	if err := c.remove("/skiff/podu/c1"); err != nil {
		t.Fatal(err)
	}
	if err := c.remove("/skiff/podu/c1"); err != nil {
		t.Errorf("removing again: %v", err)
	}
	if err := c.remove("/skiff/podu"); err == nil {
		t.Errorf("removing a cgroup with children succeeded")
	}
	if err := c.remove("/"); err != nil {
		t.Errorf("remove(/) = %v, want a no-op", err)
	}
	if err := c.removeTree("/skiff"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"cpu", "memory", "pids"} {
		if _, err := os.Stat(filepath.Join(root, h, "skiff")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/skiff still there", h)
		}
		if _, err := os.Stat(filepath.Join(root, h, "other")); err != nil {
			t.Errorf("%s/other removed: %v", h, err)
		}
	}
}
