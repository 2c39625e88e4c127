package pods

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// Waiting reasons of containers, as Kubernetes shows them in
// containerStatuses[].state.waiting.reason.
const (
	ReasonContainerCreating          = "ContainerCreating"
	ReasonPodInitializing            = "PodInitializing"
	ReasonErrImagePull               = "ErrImagePull"
	ReasonImagePullBackOff           = "ImagePullBackOff"
	ReasonErrImageNeverPull          = "ErrImageNeverPull"
	ReasonInvalidImageName           = "InvalidImageName"
	ReasonCrashLoopBackOff           = "CrashLoopBackOff"
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	ReasonCreateContainerError       = "CreateContainerError"
)

// Terminated reasons beyond the runtime's (Completed, Error, OOMKilled, Unknown).
const (
	// ReasonContainerStatusUnknown: the container vanished from the runtime.
	ReasonContainerStatusUnknown = "ContainerStatusUnknown"
)

// Pod-level reasons (status.reason).
const (
	// ReasonDeadlineExceeded: activeDeadlineSeconds passed; the pod failed.
	ReasonDeadlineExceeded = "DeadlineExceeded"
)

// pullPolicy is the container's imagePullPolicy, or Kubernetes' default:
// Always for ":latest" or untagged images, else IfNotPresent.
func pullPolicy(c *api.Container) runtime.PullPolicy {
	if c.ImagePullPolicy != "" {
		return runtime.PullPolicy(c.ImagePullPolicy)
	}
	if strings.Contains(c.Image, "@") {
		return runtime.PullIfNotPresent
	}
	name := c.Image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndex(name, ":"); i < 0 || name[i+1:] == "latest" {
		return runtime.PullAlways
	}
	return runtime.PullIfNotPresent
}

// imageID is what containerStatuses[].imageID shows: the repository digest
// ("docker.io/library/busybox@sha256:..."), or the image ID without a digest.
func imageID(info runtime.ImageInfo) string {
	if info.Digest == "" {
		return info.ID
	}
	repo := info.Ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	slash := strings.LastIndex(repo, "/")
	if i := strings.LastIndex(repo, ":"); i > slash {
		repo = repo[:i]
	}
	return repo + "@" + info.Digest
}

// registryHost is the registry an image reference pulls from, as Docker
// reads it: the first path component if it looks like a host, else docker.io.
func registryHost(ref string) string {
	i := strings.IndexByte(ref, '/')
	if i < 0 {
		return "docker.io"
	}
	first := ref[:i]
	if strings.ContainsAny(first, ".:") || first == "localhost" {
		if first == "index.docker.io" || first == "registry-1.docker.io" {
			return "docker.io"
		}
		return first
	}
	return "docker.io"
}

// dockerConfig is the content of a kubernetes.io/dockerconfigjson secret;
// kubernetes.io/dockercfg secrets hold only the auths map.
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
}

// normalizeRegistryKey turns a docker config key ("https://index.docker.io/v1/",
// "registry:5000") into a host as registryHost returns it.
func normalizeRegistryKey(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	if i := strings.IndexByte(key, '/'); i >= 0 {
		key = key[:i]
	}
	if key == "index.docker.io" || key == "registry-1.docker.io" {
		return "docker.io"
	}
	return key
}

// pullAuth finds a credential for image among the pod's imagePullSecrets. A
// secret that is missing or malformed is skipped, as the kubelet does.
func pullAuth(ctx context.Context, pod *api.Pod, image string, objs *objectCache) *runtime.Auth {
	host := registryHost(image)
	for _, ref := range pod.Spec.ImagePullSecrets {
		s, err := objs.secret(ctx, ref.Name)
		if err != nil {
			continue
		}
		var auths map[string]dockerAuth
		if data, ok := s.Data[".dockerconfigjson"]; ok {
			var cfg dockerConfig
			if json.Unmarshal(data, &cfg) != nil {
				continue
			}
			auths = cfg.Auths
		} else if data, ok := s.Data[".dockercfg"]; ok {
			if json.Unmarshal(data, &auths) != nil {
				continue
			}
		}
		for key, a := range auths {
			if normalizeRegistryKey(key) != host {
				continue
			}
			auth := &runtime.Auth{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken}
			if a.Auth != "" && auth.Username == "" {
				if dec, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
					auth.Username, auth.Password, _ = strings.Cut(string(dec), ":")
				}
			}
			return auth
		}
	}
	return nil
}
