package runtime

import "strings"

// DefaultPathEnv is the PATH a container gets when its image sets none.
const DefaultPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ProcessArgs returns the argv of a container's process by Kubernetes' rules:
// command replaces the image's entrypoint and args its cmd; when command is
// given without args, the image's cmd is not used either. The result is nil
// when there is nothing to run.
func ProcessArgs(entrypoint, cmd, command, args []string) []string {
	var argv []string
	switch {
	case len(command) > 0:
		argv = append(argv, command...)
		argv = append(argv, args...)
	case len(args) > 0:
		argv = append(argv, entrypoint...)
		argv = append(argv, args...)
	default:
		argv = append(argv, entrypoint...)
		argv = append(argv, cmd...)
	}
	return argv
}

// ProcessEnv returns a container's environment: the image's (or DefaultPathEnv
// when the image has none), then HOSTNAME when hostname is set, then env;
// a variable set again replaces the earlier value in place.
func ProcessEnv(imageEnv []string, hostname string, env []EnvVar) []string {
	if len(imageEnv) == 0 {
		imageEnv = []string{DefaultPathEnv}
	}
	out := make([]string, 0, len(imageEnv)+len(env)+1)
	index := make(map[string]int, cap(out))
	set := func(kv string) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := index[name]; ok {
			out[i] = kv
			return
		}
		index[name] = len(out)
		out = append(out, kv)
	}
	for _, kv := range imageEnv {
		set(kv)
	}
	if hostname != "" {
		set("HOSTNAME=" + hostname)
	}
	for _, e := range env {
		set(e.Name + "=" + e.Value)
	}
	return out
}
