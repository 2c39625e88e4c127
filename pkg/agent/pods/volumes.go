package pods

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// Volume kinds, as the directories under volumes/ name them (kubelet's names).
const (
	kindEmptyDir    = "empty-dir"
	kindConfigMap   = "configmap"
	kindSecret      = "secret"
	kindProjected   = "projected"
	kindDownwardAPI = "downward-api"
)

const defaultFileMode = 0o644

// tokenRefreshFraction: a projected token is replaced once this part of its
// lifetime has passed, as the kubelet does.
const tokenRefreshFraction = 0.8

// podVolume is a volume ready to be mounted into containers.
type podVolume struct {
	hostPath string
	// readOnly volumes (configMap, secret, projected, downwardAPI) are always
	// mounted read-only, whatever the volumeMount says.
	readOnly bool
}

// volumeFile is one file of a configMap, secret, projected or downwardAPI volume.
type volumeFile struct {
	path string
	data []byte
	mode os.FileMode
}

// volumeSetup is the result of setting up a pod's volumes.
type volumeSetup struct {
	volumes map[string]podVolume
	// refreshAt is when projected service-account tokens must be replaced
	// (zero if there are none).
	refreshAt time.Time
}

// setUpVolumes makes every volume of the pod present under its directory:
// emptyDir directories (kept if they exist), hostPath checks, and the files of
// configMap, secret, downwardAPI and projected volumes (written again on each
// call). It returns an error naming every volume that failed.
func (w *worker) setUpVolumes(ctx context.Context, pod *api.Pod, objs *objectCache) (volumeSetup, error) {
	out := volumeSetup{volumes: map[string]podVolume{}}
	var errs []error
	for _, v := range pod.Spec.Volumes {
		pv, refreshAt, err := w.setUpVolume(ctx, pod, v, objs)
		if err != nil {
			errs = append(errs, fmt.Errorf("MountVolume.SetUp failed for volume %q: %w", v.Name, err))
			continue
		}
		out.volumes[v.Name] = pv
		if !refreshAt.IsZero() && (out.refreshAt.IsZero() || refreshAt.Before(out.refreshAt)) {
			out.refreshAt = refreshAt
		}
	}
	return out, errors.Join(errs...)
}

func (w *worker) setUpVolume(ctx context.Context, pod *api.Pod, v api.Volume, objs *objectCache) (podVolume, time.Time, error) {
	root, uid := w.m.deps.RootDir, pod.UID
	switch {
	case v.EmptyDir != nil:
		dir := volumeDir(root, uid, kindEmptyDir, v.Name)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return podVolume{}, time.Time{}, err
		}
		// World-writable, as the kubelet makes it, so non-root containers can use it.
		return podVolume{hostPath: dir}, time.Time{}, os.Chmod(dir, 0o777)
	case v.HostPath != nil:
		return podVolume{hostPath: v.HostPath.Path}, time.Time{}, checkHostPath(v.HostPath)
	case v.ConfigMap != nil:
		src := v.ConfigMap
		files, err := configMapFiles(ctx, objs, src.Name, src.Items, src.Optional, mode(src.DefaultMode, defaultFileMode))
		if err != nil {
			return podVolume{}, time.Time{}, err
		}
		dir := volumeDir(root, uid, kindConfigMap, v.Name)
		return podVolume{hostPath: dir, readOnly: true}, time.Time{}, writeVolumeFiles(dir, files)
	case v.Secret != nil:
		src := v.Secret
		files, err := secretFiles(ctx, objs, src.SecretName, src.Items, src.Optional, mode(src.DefaultMode, defaultFileMode))
		if err != nil {
			return podVolume{}, time.Time{}, err
		}
		dir := volumeDir(root, uid, kindSecret, v.Name)
		return podVolume{hostPath: dir, readOnly: true}, time.Time{}, writeVolumeFiles(dir, files)
	case v.DownwardAPI != nil:
		files, err := w.downwardAPIFiles(pod, v.DownwardAPI.Items, mode(v.DownwardAPI.DefaultMode, defaultFileMode))
		if err != nil {
			return podVolume{}, time.Time{}, err
		}
		dir := volumeDir(root, uid, kindDownwardAPI, v.Name)
		return podVolume{hostPath: dir, readOnly: true}, time.Time{}, writeVolumeFiles(dir, files)
	case v.Projected != nil:
		files, refreshAt, err := w.projectedFiles(ctx, pod, v.Projected, objs)
		if err != nil {
			return podVolume{}, time.Time{}, err
		}
		dir := volumeDir(root, uid, kindProjected, v.Name)
		return podVolume{hostPath: dir, readOnly: true}, refreshAt, writeVolumeFiles(dir, files)
	case v.PersistentVolumeClaim != nil:
		return podVolume{}, time.Time{}, errors.New("persistentVolumeClaim volumes are not supported by Skiff")
	}
	return podVolume{}, time.Time{}, errors.New("the volume has no source Skiff supports")
}

func mode(m *int32, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m) & fs.ModePerm
}

// checkHostPath checks (and for the *OrCreate types makes) a hostPath volume
// according to its type.
func checkHostPath(hp *api.HostPathVolumeSource) error {
	typ := ""
	if hp.Type != nil {
		typ = *hp.Type
	}
	if !filepath.IsAbs(hp.Path) {
		return fmt.Errorf("hostPath %q is not absolute", hp.Path)
	}
	fi, err := os.Stat(hp.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	fail := func(what string) error { return fmt.Errorf("hostPath type check failed: %s is not %s", hp.Path, what) }
	switch typ {
	case "":
		return nil
	case "DirectoryOrCreate":
		if !exists {
			return os.MkdirAll(hp.Path, 0o755)
		}
		if !fi.IsDir() {
			return fail("a directory")
		}
	case "Directory":
		if !exists || !fi.IsDir() {
			return fail("a directory")
		}
	case "FileOrCreate":
		if !exists {
			f, err := os.OpenFile(hp.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
		if fi.IsDir() {
			return fail("a file")
		}
	case "File":
		if !exists || !fi.Mode().IsRegular() {
			return fail("a file")
		}
	case "Socket":
		if !exists || fi.Mode()&fs.ModeSocket == 0 {
			return fail("a socket file")
		}
	case "CharDevice":
		if !exists || fi.Mode()&fs.ModeCharDevice == 0 {
			return fail("a character device")
		}
	case "BlockDevice":
		if !exists || fi.Mode()&fs.ModeDevice == 0 || fi.Mode()&fs.ModeCharDevice != 0 {
			return fail("a block device")
		}
	default:
		return fmt.Errorf("unsupported hostPath type %q", typ)
	}
	return nil
}

// keyedFiles turns key/value data into files: every key, or only items.
// missingOK says a missing key is skipped (an optional source).
func keyedFiles(kind, name string, data map[string][]byte, items []api.KeyToPath, defMode os.FileMode, missingOK bool) ([]volumeFile, error) {
	var files []volumeFile
	if len(items) == 0 {
		for _, k := range sortedKeys(data) {
			files = append(files, volumeFile{path: k, data: data[k], mode: defMode})
		}
		return files, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if missingOK {
				continue
			}
			return nil, fmt.Errorf("%s %q has no key %q", kind, name, it.Key)
		}
		files = append(files, volumeFile{path: it.Path, data: v, mode: mode(it.Mode, defMode)})
	}
	return files, nil
}

func configMapFiles(ctx context.Context, objs *objectCache, name string, items []api.KeyToPath, opt *bool, defMode os.FileMode) ([]volumeFile, error) {
	cm, err := objs.configMap(ctx, name)
	if err != nil {
		if api.IsNotFound(err) && optional(opt) {
			return nil, nil
		}
		return nil, objectError("configmap", name, err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	return keyedFiles("configmap", name, data, items, defMode, optional(opt))
}

func secretFiles(ctx context.Context, objs *objectCache, name string, items []api.KeyToPath, opt *bool, defMode os.FileMode) ([]volumeFile, error) {
	s, err := objs.secret(ctx, name)
	if err != nil {
		if api.IsNotFound(err) && optional(opt) {
			return nil, nil
		}
		return nil, objectError("secret", name, err)
	}
	return keyedFiles("secret", name, s.Data, items, defMode, optional(opt))
}

func (w *worker) downwardAPIFiles(pod *api.Pod, items []api.DownwardAPIVolumeFile, defMode os.FileMode) ([]volumeFile, error) {
	var files []volumeFile
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = fieldValue(pod, w.fields(), it.FieldRef.FieldPath, true)
		case it.ResourceFieldRef != nil:
			v, err = resourceFieldValue(pod, "", it.ResourceFieldRef)
		default:
			err = fmt.Errorf("downwardAPI item %q has no source", it.Path)
		}
		if err != nil {
			return nil, err
		}
		files = append(files, volumeFile{path: it.Path, data: []byte(v), mode: mode(it.Mode, defMode)})
	}
	return files, nil
}

// projectedFiles gathers the files of every source of a projected volume,
// including service-account tokens from the TokenRequest API.
func (w *worker) projectedFiles(ctx context.Context, pod *api.Pod, p *api.ProjectedVolumeSource, objs *objectCache) ([]volumeFile, time.Time, error) {
	defMode := mode(p.DefaultMode, defaultFileMode)
	var files []volumeFile
	var refreshAt time.Time
	for _, src := range p.Sources {
		var more []volumeFile
		var err error
		switch {
		case src.ConfigMap != nil:
			more, err = configMapFiles(ctx, objs, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, defMode)
		case src.Secret != nil:
			more, err = secretFiles(ctx, objs, src.Secret.Name, src.Secret.Items, src.Secret.Optional, defMode)
		case src.DownwardAPI != nil:
			more, err = w.downwardAPIFiles(pod, src.DownwardAPI.Items, defMode)
		case src.ServiceAccountToken != nil:
			var f *volumeFile
			var at time.Time
			f, at, err = w.tokenFile(ctx, pod, src.ServiceAccountToken, defMode)
			if f != nil {
				more = []volumeFile{*f}
			}
			if !at.IsZero() && (refreshAt.IsZero() || at.Before(refreshAt)) {
				refreshAt = at
			}
		}
		if err != nil {
			return nil, time.Time{}, err
		}
		files = append(files, more...)
	}
	return files, refreshAt, nil
}

// tokenFile asks the API for a token of the pod's service account, bound to
// the pod. Without a TokenRequester it returns no file.
func (w *worker) tokenFile(ctx context.Context, pod *api.Pod, src *api.ServiceAccountTokenProjection, m os.FileMode) (*volumeFile, time.Time, error) {
	tr, ok := w.m.deps.Objects.(TokenRequester)
	if !ok {
		w.m.noTokensOnce.Do(func() {
			w.log.Warn("Objects cannot request service-account tokens: projected token files are left out")
		})
		return nil, time.Time{}, nil
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &api.TokenRequest{Spec: api.TokenRequestSpec{
		ExpirationSeconds: src.ExpirationSeconds,
		BoundObjectRef:    &api.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	now := w.now()
	out, err := tr.RequestToken(ctx, pod.Namespace, sa, req)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("requesting a token for service account %q: %w", sa, err)
	}
	lifetime := out.Status.ExpirationTimestamp.Sub(now)
	if out.Status.ExpirationTimestamp.IsZero() || lifetime <= 0 {
		lifetime = time.Hour
		if src.ExpirationSeconds != nil {
			lifetime = time.Duration(*src.ExpirationSeconds) * time.Second
		}
	}
	refreshAt := now.Add(time.Duration(float64(lifetime) * tokenRefreshFraction))
	return &volumeFile{path: src.Path, data: []byte(out.Status.Token), mode: m}, refreshAt, nil
}

// writeVolumeFiles writes files under dir (created if missing). Paths must be
// relative and stay inside dir.
func writeVolumeFiles(dir string, files []volumeFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		p, err := safeJoin(dir, f.path)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(p, f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// safeJoin joins a relative path (no "..", not absolute) to dir.
func safeJoin(dir, rel string) (string, error) {
	if rel == "" || path.IsAbs(rel) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("path %q must be relative", rel)
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part == ".." {
			return "", fmt.Errorf("path %q must not contain '..'", rel)
		}
	}
	return filepath.Join(dir, rel), nil
}

// containerMounts binds the container's volumeMounts, and the pod's hosts
// file at /etc/hosts unless the container mounts something there itself.
func containerMounts(c *api.Container, vols map[string]podVolume, hostsFile string) ([]runtime.Mount, error) {
	var mounts []runtime.Mount
	hasHosts := false
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			return nil, configErrorf("volumeMount %q refers to no volume of the pod", vm.Name)
		}
		host := v.hostPath
		if vm.SubPath != "" {
			p, err := safeJoin(host, vm.SubPath)
			if err != nil {
				return nil, configErrorf("volumeMount %q: subPath: %v", vm.Name, err)
			}
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) && !v.readOnly {
				if err := os.MkdirAll(p, 0o755); err != nil {
					return nil, err
				}
			}
			host = p
		}
		if path.Clean(vm.MountPath) == "/etc/hosts" {
			hasHosts = true
		}
		mounts = append(mounts, runtime.Mount{HostPath: host, ContainerPath: vm.MountPath, ReadOnly: vm.ReadOnly || v.readOnly})
	}
	if !hasHosts && hostsFile != "" {
		mounts = append(mounts, runtime.Mount{HostPath: hostsFile, ContainerPath: "/etc/hosts"})
	}
	return mounts, nil
}

// hostsFileContent is the pod's /etc/hosts, as the kubelet writes it.
func hostsFileContent(pod *api.Pod, podIP string) []byte {
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file.\n")
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("fe00::0\tip6-mcastprefix\n")
	b.WriteString("fe00::1\tip6-allnodes\n")
	b.WriteString("fe00::2\tip6-allrouters\n")
	if podIP != "" {
		b.WriteString(podIP + "\t" + podHostname(pod) + "\n")
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range pod.Spec.HostAliases {
			b.WriteString(a.IP + "\t" + strings.Join(a.Hostnames, "\t") + "\n")
		}
	}
	return []byte(b.String())
}

// podHostname is spec.hostname, else the pod name cut to 63 characters.
func podHostname(pod *api.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}
