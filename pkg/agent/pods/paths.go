package pods

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// The layout of a pod's directory:
//
//	RootDir/pods/<UID>/
//	    <container>/<attempt>.log                    container output (LogPath)
//	    volumes/kubernetes.io~<kind>/<volume>/        emptyDir, configMap, secret, projected, downwardAPI
//	    etc-hosts.txt                                 mounted at /etc/hosts
//	    network.json                                  the pod IP, and whether the network was released
//
// Container names are DNS labels, so they never contain the '.' or '~' of the
// agent's own entries; a container named "volumes" shares that directory
// harmlessly (its files are "<n>.log").
const (
	podsDirName     = "pods"
	volumesDirName  = "volumes"
	hostsFileName   = "etc-hosts.txt"
	networkFileName = "network.json"
)

// uidPattern is what a pod UID must look like to name a directory.
var uidPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// PodDir is the directory of the pod with this UID.
func PodDir(rootDir, podUID string) string {
	return filepath.Join(rootDir, podsDirName, podUID)
}

// LogPath is the file that receives the output of one run (attempt) of a
// container: RootDir/pods/<UID>/<container>/<attempt>.log. The logs service
// reads it; the runtime records it with the container too (Container.LogPath).
func LogPath(rootDir, podUID, container string, attempt uint32) string {
	return filepath.Join(PodDir(rootDir, podUID), container, strconv.FormatUint(uint64(attempt), 10)+".log")
}

func volumeDir(rootDir, podUID, kind, name string) string {
	return filepath.Join(PodDir(rootDir, podUID), volumesDirName, "kubernetes.io~"+kind, name)
}

// networkState is what network.json records.
type networkState struct {
	IP string `json:"ip"`
	// Released: the network was torn down (the pod finished); the sandbox
	// stays until the pod is deleted.
	Released bool `json:"released,omitempty"`
}

func readNetworkState(rootDir, podUID string) (networkState, bool) {
	var st networkState
	data, err := os.ReadFile(filepath.Join(PodDir(rootDir, podUID), networkFileName))
	if err != nil || json.Unmarshal(data, &st) != nil || st.IP == "" {
		return networkState{}, false
	}
	return st, true
}

func writeNetworkState(rootDir, podUID string, st networkState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(PodDir(rootDir, podUID), networkFileName), data, 0o644)
}

// writeFileAtomic writes data to path through a temporary file and a rename,
// with exactly mode (not filtered by the umask), creating parent directories.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
