// Package imagelocality prefers nodes that already have the pod's container
// images, so the pod starts without a long pull. As in kube-scheduler, an
// image counts in proportion to how many nodes have it, so pods do not pile
// onto the one node that happens to hold a rare image.
package imagelocality

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"skiff/pkg/api"
	"skiff/pkg/scheduler/framework"
)

// Name is the plugin's name in the scheduler config.
const Name = "ImageLocality"

// The score grows linearly from 0, when the pod's images on the node add up
// to minThreshold or less, to MaxNodeScore at maxContainerThreshold for each
// of the pod's containers.
const (
	mb                    int64 = 1024 * 1024
	minThreshold                = 23 * mb
	maxContainerThreshold       = 1000 * mb
)

const preScoreKey framework.StateKey = "PreScore" + Name

// ImageLocality scores nodes by the images they already have.
type ImageLocality struct{}

var (
	_ framework.PreScorePlugin = (*ImageLocality)(nil)
	_ framework.ScorePlugin    = (*ImageLocality)(nil)
)

// New returns the plugin; it takes no arguments.
func New(_ json.RawMessage, _ framework.Handle) (framework.Plugin, error) {
	return &ImageLocality{}, nil
}

// Name returns Name.
func (*ImageLocality) Name() string { return Name }

// spread is how many of the snapshot's nodes have each of the pod's images.
// It is read-only once built.
type spread struct {
	totalNodes int
	nodesWith  map[string]int // by normalized image name
}

func (s *spread) Clone() framework.StateData { return s }

// PreScore counts, once for every Score, the nodes that have each image.
func (*ImageLocality) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) *framework.Status {
	// Counting an image's spread reads every node in the cluster; skip it when
	// no candidate node has any of the pod's images (the usual case), since
	// every node would score 0.
	if !anyHasImage(nodes, podImages(pod)) {
		return framework.NewStatus(framework.Skip)
	}
	s, err := imageSpread(state, pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	state.Write(preScoreKey, s)
	return nil
}

func anyHasImage(nodes []*framework.NodeInfo, images []string) bool {
	for _, ni := range nodes {
		if len(ni.Node.Status.Images) == 0 {
			continue
		}
		for _, image := range images {
			if _, ok := imageSize(ni.Node, image); ok {
				return true
			}
		}
	}
	return false
}

// Score sums the sizes of the pod's images the node has, each scaled by the
// share of all nodes that have it, and maps the sum to [0, 100].
func (*ImageLocality) Score(_ context.Context, state *framework.CycleState, pod *api.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	s, err := imageSpread(state, pod)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	if s.totalNodes == 0 {
		return 0, nil // the node is not in the snapshot; nothing to compare with
	}
	var sum int64
	for _, image := range podImages(pod) {
		if size, ok := imageSize(node.Node, image); ok {
			share := float64(s.nodesWith[image]) / float64(s.totalNodes)
			sum += int64(float64(size) * share)
		}
	}
	return scale(sum, len(pod.Spec.InitContainers)+len(pod.Spec.Containers)), nil
}

// imageSpread returns what PreScore counted, or counts now if PreScore did
// not run.
func imageSpread(state *framework.CycleState, pod *api.Pod) (*spread, error) {
	if d, ok := state.Read(preScoreKey); ok {
		return d.(*spread), nil
	}
	if state.Snapshot == nil {
		return nil, errors.New("imagelocality: the cycle state has no snapshot")
	}
	s := &spread{totalNodes: state.Snapshot.NumNodes(), nodesWith: map[string]int{}}
	for _, image := range podImages(pod) {
		if _, counted := s.nodesWith[image]; counted {
			continue
		}
		s.nodesWith[image] = 0
		for _, ni := range state.Snapshot.List() {
			if _, ok := imageSize(ni.Node, image); ok {
				s.nodesWith[image]++
			}
		}
	}
	return s, nil
}

// scale maps a sum of image sizes to [0, MaxNodeScore].
func scale(sum int64, containers int) int64 {
	maxThreshold := maxContainerThreshold * int64(containers)
	sum = min(max(sum, minThreshold), maxThreshold)
	return framework.MaxNodeScore * (sum - minThreshold) / (maxThreshold - minThreshold)
}

// podImages lists the normalized images of the pod's init containers and
// containers; an image used twice is listed twice.
func podImages(pod *api.Pod) []string {
	var out []string
	for _, c := range pod.Spec.InitContainers {
		out = append(out, normalizedImageName(c.Image))
	}
	for _, c := range pod.Spec.Containers {
		out = append(out, normalizedImageName(c.Image))
	}
	return out
}

// imageSize returns the size of the image if the node reports having it
// under that (normalized) name.
func imageSize(node *api.Node, image string) (int64, bool) {
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			if normalizedImageName(name) == image {
				return img.SizeBytes, true
			}
		}
	}
	return 0, false
}

// normalizedImageName adds the ":latest" tag to an image with neither a tag
// nor a digest, as kube-scheduler does. It does not add a default registry,
// so "nginx" and "docker.io/library/nginx:latest" stay different images.
func normalizedImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		return name + ":latest"
	}
	return name
}
