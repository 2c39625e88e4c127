package pods

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"skiff/pkg/agent/runtime"
	"skiff/pkg/api"
)

// objectCache reads each ConfigMap and Secret once per sync.
type objectCache struct {
	objects    Objects
	namespace  string
	configMaps map[string]*api.ConfigMap
	secrets    map[string]*api.Secret
	errs       map[string]error
}

func newObjectCache(o Objects, namespace string) *objectCache {
	return &objectCache{objects: o, namespace: namespace,
		configMaps: map[string]*api.ConfigMap{}, secrets: map[string]*api.Secret{}, errs: map[string]error{}}
}

func (c *objectCache) configMap(ctx context.Context, name string) (*api.ConfigMap, error) {
	if cm, ok := c.configMaps[name]; ok {
		return cm, nil
	}
	if err, ok := c.errs["cm/"+name]; ok {
		return nil, err
	}
	cm, err := c.objects.GetConfigMap(ctx, c.namespace, name)
	if err != nil {
		c.errs["cm/"+name] = err
		return nil, err
	}
	c.configMaps[name] = cm
	return cm, nil
}

func (c *objectCache) secret(ctx context.Context, name string) (*api.Secret, error) {
	if s, ok := c.secrets[name]; ok {
		return s, nil
	}
	if err, ok := c.errs["secret/"+name]; ok {
		return nil, err
	}
	s, err := c.objects.GetSecret(ctx, c.namespace, name)
	if err != nil {
		c.errs["secret/"+name] = err
		return nil, err
	}
	c.secrets[name] = s
	return s, nil
}

// configError is a container config the agent cannot build
// (CreateContainerConfigError): a missing ConfigMap, Secret or key.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// envVarName is what envFrom accepts as a variable name (Kubernetes'
// IsEnvVarName); other keys are skipped.
var envVarName = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// envList is an ordered environment in which a variable set again is
// replaced in place.
type envList struct {
	vars  []runtime.EnvVar
	index map[string]int
}

func (l *envList) set(name, value string) {
	if l.index == nil {
		l.index = map[string]int{}
	}
	if i, ok := l.index[name]; ok {
		l.vars[i].Value = value
		return
	}
	l.index[name] = len(l.vars)
	l.vars = append(l.vars, runtime.EnvVar{Name: name, Value: value})
}

func (l *envList) lookup(name string) (string, bool) {
	if i, ok := l.index[name]; ok {
		return l.vars[i].Value, true
	}
	return "", false
}

// makeEnv builds a container's environment as the kubelet does: envFrom
// sources first, then env in order, where a value may refer to variables
// defined before it as $(NAME). Service links (FOO_SERVICE_HOST) are not
// added. Errors are *configError for missing objects and keys.
func makeEnv(ctx context.Context, pod *api.Pod, c *api.Container, f podFields, objs *objectCache) (*envList, error) {
	env := &envList{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, err := objs.configMap(ctx, from.ConfigMapRef.Name)
			if err != nil {
				if api.IsNotFound(err) && optional(from.ConfigMapRef.Optional) {
					continue
				}
				return nil, objectError("configmap", from.ConfigMapRef.Name, err)
			}
			for _, k := range sortedKeys(cm.Data) {
				if name := from.Prefix + k; envVarName.MatchString(name) {
					env.set(name, cm.Data[k])
				}
			}
		case from.SecretRef != nil:
			s, err := objs.secret(ctx, from.SecretRef.Name)
			if err != nil {
				if api.IsNotFound(err) && optional(from.SecretRef.Optional) {
					continue
				}
				return nil, objectError("secret", from.SecretRef.Name, err)
			}
			for _, k := range sortedKeys(s.Data) {
				if name := from.Prefix + k; envVarName.MatchString(name) {
					env.set(name, string(s.Data[k]))
				}
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env.set(e.Name, expand(e.Value, env.lookup))
			continue
		}
		v, skip, err := envValueFrom(ctx, pod, c, e.ValueFrom, f, objs)
		if err != nil {
			return nil, err
		}
		if !skip {
			env.set(e.Name, v)
		}
	}
	return env, nil
}

// envValueFrom resolves a valueFrom; skip reports an optional source that is
// missing, which leaves the variable unset.
func envValueFrom(ctx context.Context, pod *api.Pod, c *api.Container, src *api.EnvVarSource, f podFields, objs *objectCache) (value string, skip bool, err error) {
	switch {
	case src.FieldRef != nil:
		v, err := fieldValue(pod, f, src.FieldRef.FieldPath, false)
		if err != nil {
			return "", false, &configError{msg: err.Error()}
		}
		return v, false, nil
	case src.ResourceFieldRef != nil:
		v, err := resourceFieldValue(pod, c.Name, src.ResourceFieldRef)
		if err != nil {
			return "", false, &configError{msg: err.Error()}
		}
		return v, false, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		cm, err := objs.configMap(ctx, ref.Name)
		if err != nil {
			if api.IsNotFound(err) && optional(ref.Optional) {
				return "", true, nil
			}
			return "", false, objectError("configmap", ref.Name, err)
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, false, nil
		}
		if v, ok := cm.BinaryData[ref.Key]; ok {
			return string(v), false, nil
		}
		if optional(ref.Optional) {
			return "", true, nil
		}
		return "", false, configErrorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		s, err := objs.secret(ctx, ref.Name)
		if err != nil {
			if api.IsNotFound(err) && optional(ref.Optional) {
				return "", true, nil
			}
			return "", false, objectError("secret", ref.Name, err)
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), false, nil
		}
		if optional(ref.Optional) {
			return "", true, nil
		}
		return "", false, configErrorf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)
	}
	return "", false, configErrorf("valueFrom names no source")
}

// objectError turns a failed read into a configError when the object is
// missing, and keeps other (transient) errors as they are.
func objectError(kind, name string, err error) error {
	if api.IsNotFound(err) {
		return configErrorf("%s %q not found", kind, name)
	}
	return fmt.Errorf("reading %s %q: %w", kind, name, err)
}

func optional(b *bool) bool { return b != nil && *b }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// expandAll expands $(NAME) references in command or args with env.
func expandAll(in []string, env *envList) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, env.lookup)
	}
	return out
}
