package node

import (
	goruntime "runtime"
	"strings"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name             string
		in               string
		total, available int64
		wantErr          bool
	}{
		{
			name:      "linux",
			in:        "MemTotal:       24684084 kB\nMemFree:        21237476 kB\nMemAvailable:   23832520 kB\nBuffers: 1 kB\n",
			total:     24684084 * 1024,
			available: 23832520 * 1024,
		},
		{
			name:      "no MemAvailable (kernel before 3.14)",
			in:        "MemTotal: 1024 kB\nMemFree: 512 kB\n",
			total:     1024 * 1024,
			available: 1024 * 1024,
		},
		{name: "no MemTotal", in: "MemFree: 512 kB\n", wantErr: true},
		{name: "garbage value", in: "MemTotal: lots kB\n", wantErr: true},
		{name: "unknown unit", in: "MemTotal: 1 MB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, available, err := parseMeminfo(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseMeminfo error = %v, want error: %v", err, tt.wantErr)
			}
			if total != tt.total || available != tt.available {
				t.Errorf("parseMeminfo = %d, %d; want %d, %d", total, available, tt.total, tt.available)
			}
		})
	}
}

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"debian", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n", "Debian GNU/Linux 12 (bookworm)"},
		{"single quotes", "PRETTY_NAME='Alpine Linux v3.20'\n", "Alpine Linux v3.20"},
		{"unquoted", "# comment\nPRETTY_NAME=Arch\n", "Arch"},
		{"NAME when no PRETTY_NAME", "NAME=\"Fedora Linux\"\n", "Fedora Linux"},
		{"empty file", "", "Linux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseOSRelease(strings.NewReader(tt.in)); got != tt.want {
				t.Errorf("parseOSRelease = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadHost reads the real machine: the essentials must be there.
func TestReadHost(t *testing.T) {
	if goruntime.GOOS != "linux" {
		t.Skip("host facts are read on Linux only")
	}
	f, err := readHost(t.TempDir() + "/does/not/exist/yet")
	if err != nil {
		t.Fatal(err)
	}
	if f.CPUs < 1 || f.MemoryBytes <= 0 || f.MemoryAvailableBytes <= 0 || f.MemoryAvailableBytes > f.MemoryBytes {
		t.Errorf("implausible CPU or memory: %+v", f)
	}
	if f.DiskBytes <= 0 || f.DiskAvailableBytes > f.DiskBytes {
		t.Errorf("implausible disk for a root dir that does not exist yet: %+v", f)
	}
	if f.KernelVersion == "" || f.OSImage == "" {
		t.Errorf("no kernel version or OS image: %+v", f)
	}
	if f.PIDMax <= 0 || f.PIDsInUse <= 0 {
		t.Errorf("implausible PIDs: %+v", f)
	}
}
