package containerd

import (
	"context"
	"fmt"
	"io"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/remotes"
	"github.com/containerd/containerd/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"

	"skiff/pkg/agent/runtime"
)

// normalizeRef returns the full form of an image reference, as Docker and
// Kubernetes read it: "busybox" is "docker.io/library/busybox:latest".
func normalizeRef(ref string) (string, error) {
	named, err := reference.ParseDockerRef(ref)
	if err != nil {
		return "", fmt.Errorf("%w: image reference %q: %v", runtime.ErrInvalidConfig, ref, err)
	}
	return named.String(), nil
}

// EnsureImage implements runtime.ImageService.
func (r *Runtime) EnsureImage(ctx context.Context, ref string, policy runtime.PullPolicy, auth *runtime.Auth) (runtime.ImageInfo, error) {
	ctx = r.nsCtx(ctx)
	name, err := normalizeRef(ref)
	if err != nil {
		return runtime.ImageInfo{}, err
	}
	switch policy {
	case "", runtime.PullIfNotPresent, runtime.PullNever, runtime.PullAlways:
	default:
		return runtime.ImageInfo{}, fmt.Errorf("%w: pull policy %q", runtime.ErrInvalidConfig, policy)
	}
	// One pull of an image at a time: a second pod worker waits and then finds it.
	unlock, err := r.locks.Lock(ctx, "image:"+name)
	if err != nil {
		return runtime.ImageInfo{}, err
	}
	defer unlock()

	if policy != runtime.PullAlways {
		img, err := r.client.GetImage(ctx, name)
		switch {
		case err == nil:
			if err := r.unpack(ctx, img); err != nil {
				return runtime.ImageInfo{}, err
			}
			return r.imageInfo(ctx, img)
		case !errdefs.IsNotFound(err):
			return runtime.ImageInfo{}, fmt.Errorf("image %s: %w", name, err)
		case policy == runtime.PullNever:
			return runtime.ImageInfo{}, fmt.Errorf("%w: %s", runtime.ErrImageNeverPull, name)
		}
	}
	start := time.Now()
	img, err := r.client.Pull(ctx, name,
		containerd.WithPullUnpack,
		containerd.WithPullSnapshotter(r.snapshotter),
		containerd.WithResolver(r.resolver(auth)))
	if err != nil {
		return runtime.ImageInfo{}, fmt.Errorf("%w: %s: %w", runtime.ErrImagePull, name, err)
	}
	took := time.Since(start)
	r.log.Info("pulled image", "image", name, "digest", img.Target().Digest, "duration", took)
	info, err := r.imageInfo(ctx, img)
	info.Pulled = max(took, time.Nanosecond)
	return info, err
}

// resolver resolves and fetches from registries: HTTPS, except the hosts
// configured for plain HTTP, with auth (if any) as the credential.
func (r *Runtime) resolver(auth *runtime.Auth) remotes.Resolver {
	creds := func(string) (string, string, error) {
		switch {
		case auth == nil:
			return "", "", nil
		case auth.IdentityToken != "":
			return "", auth.IdentityToken, nil
		default:
			return auth.Username, auth.Password, nil
		}
	}
	plainHTTP := func(host string) (bool, error) { return r.plainHTTP[host], nil }
	return docker.NewResolver(docker.ResolverOptions{
		Hosts: docker.ConfigureDefaultRegistries(
			docker.WithPlainHTTP(plainHTTP),
			docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(creds))),
		),
	})
}

// ImportImage implements runtime.ImageService. With a ref, the archive's index
// is named ref (as `ctr import --index-name`), and its manifest for this node's
// platform is what runs.
func (r *Runtime) ImportImage(ctx context.Context, rd io.Reader, ref string) ([]runtime.ImageInfo, error) {
	ctx = r.nsCtx(ctx)
	var name string
	if ref != "" {
		var err error
		if name, err = normalizeRef(ref); err != nil {
			return nil, err
		}
	}
	// Hold a lease, so nothing imported is collected before it is unpacked.
	ctx, done, err := r.client.WithLease(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer done(context.WithoutCancel(ctx))

	opts := []containerd.ImportOpt{
		containerd.WithImageRefTranslator(func(s string) string {
			if name != "" {
				return "" // only the index is named
			}
			if n, err := normalizeRef(s); err == nil {
				return n
			}
			return s
		}),
	}
	if name != "" {
		opts = append(opts, containerd.WithIndexName(name))
	}
	imgs, err := r.client.Import(ctx, rd, opts...)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%w: import: the archive names no image; give a reference", runtime.ErrInvalidConfig)
	}
	var infos []runtime.ImageInfo
	for _, i := range imgs {
		if name != "" && i.Name != name {
			continue // also named by the archive (io.containerd.image.name); keep, but report ref only
		}
		img := containerd.NewImage(r.client, i)
		if err := r.unpack(ctx, img); err != nil {
			return nil, fmt.Errorf("import %s: %w", i.Name, err)
		}
		info, err := r.imageInfo(ctx, img)
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
		r.log.Info("imported image", "image", info.Ref, "digest", info.Digest)
	}
	return infos, nil
}

// ListImages implements runtime.ImageService. Images whose content is
// incomplete for this platform are left out.
func (r *Runtime) ListImages(ctx context.Context) ([]runtime.ImageInfo, error) {
	ctx = r.nsCtx(ctx)
	imgs, err := r.client.ListImages(ctx)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	infos := make([]runtime.ImageInfo, 0, len(imgs))
	for _, img := range imgs {
		info, err := r.imageInfo(ctx, img)
		if err != nil {
			r.log.Debug("skipping image", "image", img.Name(), "err", err)
			continue
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// unpack makes sure the image's layers are unpacked into the snapshotter.
func (r *Runtime) unpack(ctx context.Context, img containerd.Image) error {
	ok, err := img.IsUnpacked(ctx, r.snapshotter)
	if err != nil {
		return fmt.Errorf("image %s: %w", img.Name(), err)
	}
	if ok {
		return nil
	}
	if err := img.Unpack(ctx, r.snapshotter); err != nil {
		return fmt.Errorf("unpacking image %s: %w", img.Name(), err)
	}
	return nil
}

func (r *Runtime) imageInfo(ctx context.Context, img containerd.Image) (runtime.ImageInfo, error) {
	cfg, err := img.Config(ctx)
	if err != nil {
		return runtime.ImageInfo{}, fmt.Errorf("image %s: config: %w", img.Name(), err)
	}
	size, err := img.Size(ctx)
	if err != nil {
		return runtime.ImageInfo{}, fmt.Errorf("image %s: size: %w", img.Name(), err)
	}
	return runtime.ImageInfo{
		Ref:    img.Name(),
		Digest: img.Target().Digest.String(),
		ID:     cfg.Digest.String(),
		Size:   size,
	}, nil
}
