package pods

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/client"
)

// statusConflictRetries bounds how often a status write is retried after a
// 409 Conflict (someone else changed the pod meanwhile).
const statusConflictRetries = 5

// APIStatus is the StatusWriter over the apiserver: it replaces the status
// through the pods/status subresource (PUT with the resourceVersion it last
// saw; on a conflict it reads the pod again and retries) and deletes
// finished pods with grace period 0 and a UID precondition.
type APIStatus struct {
	c *client.Client

	mu   sync.Mutex
	last map[string]cachedPod // the server's latest answer, by UID
}

// cachedPod is a pod as the server last returned it; entries unused for
// cacheTTL are dropped (pods deleted by others are never forgotten otherwise).
type cachedPod struct {
	pod  *api.Pod
	used time.Time
}

const cacheTTL = 10 * time.Minute

var _ StatusWriter = (*APIStatus)(nil)

// NewAPIStatus returns a StatusWriter that writes with c.
func NewAPIStatus(c *client.Client) *APIStatus {
	return &APIStatus{c: c, last: map[string]cachedPod{}}
}

// SetPodStatus implements StatusWriter.
func (s *APIStatus) SetPodStatus(ctx context.Context, pod *api.Pod, status api.PodStatus) error {
	pods := client.Pods(s.c, pod.Namespace)
	cur := s.newest(pod)
	for attempt := 0; ; attempt++ {
		if cur == nil {
			fresh, err := pods.Get(ctx, pod.Name)
			if api.IsNotFound(err) {
				return fmt.Errorf("%w: %s/%s", ErrPodGone, pod.Namespace, pod.Name)
			}
			if err != nil {
				return err
			}
			cur = fresh
		}
		if cur.UID != pod.UID {
			return fmt.Errorf("%w: %s/%s has another UID now", ErrPodGone, pod.Namespace, pod.Name)
		}
		merged := MergeStatus(cur.Status, status)
		if jsonEqual(merged, cur.Status) {
			s.remember(cur)
			return nil
		}
		upd := *cur // shallow: only Status is replaced, nothing shared is modified
		upd.Status = merged
		out, err := pods.UpdateStatus(ctx, &upd)
		switch {
		case err == nil:
			s.remember(out)
			return nil
		case api.IsConflict(err) && attempt < statusConflictRetries:
			cur = nil
			continue
		case api.IsNotFound(err):
			s.forget(pod.UID)
			return fmt.Errorf("%w: %s/%s", ErrPodGone, pod.Namespace, pod.Name)
		}
		return fmt.Errorf("pods: writing the status of %s/%s: %w", pod.Namespace, pod.Name, err)
	}
}

// DeletePod implements StatusWriter.
func (s *APIStatus) DeletePod(ctx context.Context, pod *api.Pod) error {
	zero, uid := int64(0), pod.UID
	err := client.Pods(s.c, pod.Namespace).Delete(ctx, pod.Name,
		&api.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &api.Preconditions{UID: &uid}})
	s.forget(pod.UID)
	if err == nil || api.IsNotFound(err) || api.IsConflict(err) {
		return nil // gone, or another pod has the name now
	}
	return fmt.Errorf("pods: deleting %s/%s: %w", pod.Namespace, pod.Name, err)
}

// newest is the more recent of pod (from the informer) and the server's last
// answer for it.
func (s *APIStatus) newest(pod *api.Pod) *api.Pod {
	s.mu.Lock()
	last := s.last[pod.UID].pod
	s.mu.Unlock()
	if last == nil {
		return pod
	}
	a, err1 := strconv.ParseUint(pod.ResourceVersion, 10, 64)
	b, err2 := strconv.ParseUint(last.ResourceVersion, 10, 64)
	if err1 == nil && err2 == nil && a > b {
		return pod
	}
	return last
}

func (s *APIStatus) remember(pod *api.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.last[pod.UID] = cachedPod{pod: pod, used: now}
	for uid, c := range s.last {
		if now.Sub(c.used) > cacheTTL {
			delete(s.last, uid)
		}
	}
}

func (s *APIStatus) forget(uid string) {
	s.mu.Lock()
	delete(s.last, uid)
	s.mu.Unlock()
}

// APIObjects is Objects (and TokenRequester) over the apiserver.
type APIObjects struct {
	c *client.Client
}

var (
	_ Objects        = (*APIObjects)(nil)
	_ TokenRequester = (*APIObjects)(nil)
)

// NewAPIObjects returns Objects that read with c.
func NewAPIObjects(c *client.Client) *APIObjects { return &APIObjects{c: c} }

// GetSecret implements Objects.
func (o *APIObjects) GetSecret(ctx context.Context, namespace, name string) (*api.Secret, error) {
	return client.Secrets(o.c, namespace).Get(ctx, name)
}

// GetConfigMap implements Objects.
func (o *APIObjects) GetConfigMap(ctx context.Context, namespace, name string) (*api.ConfigMap, error) {
	return client.ConfigMaps(o.c, namespace).Get(ctx, name)
}

// RequestToken implements TokenRequester.
func (o *APIObjects) RequestToken(ctx context.Context, namespace, serviceAccount string, req *api.TokenRequest) (*api.TokenRequest, error) {
	body := *req
	body.TypeMeta = api.TypeMeta{Kind: "TokenRequest", APIVersion: "authentication.k8s.io/v1"}
	out := &api.TokenRequest{}
	err := o.c.Do(ctx, client.Request{
		Method: http.MethodPost,
		Path:   client.ServiceAccountsGVR.Path(namespace, serviceAccount, "token"),
		Body:   &body,
		Out:    out,
	})
	return out, err
}
