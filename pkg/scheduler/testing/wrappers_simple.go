package testing

import "skiff/pkg/api"

// RequiredNodeAffinity adds terms to the pod's required node affinity; the
// terms are ORed. With no terms it sets an empty required selector, which
// matches no node.
func (p *PodWrapper) RequiredNodeAffinity(terms ...api.NodeSelectorTerm) *PodWrapper {
	na := p.nodeAffinity()
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{}
	}
	r := na.RequiredDuringSchedulingIgnoredDuringExecution
	r.NodeSelectorTerms = append(r.NodeSelectorTerms, terms...)
	return p
}

// PreferredNodeAffinity adds a preferred node affinity term with a weight.
func (p *PodWrapper) PreferredNodeAffinity(weight int32, term api.NodeSelectorTerm) *PodWrapper {
	na := p.nodeAffinity()
	na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution,
		api.PreferredSchedulingTerm{Weight: weight, Preference: term})
	return p
}

func (p *PodWrapper) nodeAffinity() *api.NodeAffinity {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &api.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &api.NodeAffinity{}
	}
	return p.Spec.Affinity.NodeAffinity
}

// ContainerImage adds a container that runs an image and requests nothing.
func (p *PodWrapper) ContainerImage(name, image string) *PodWrapper {
	p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: name, Image: image})
	return p
}

// InitContainerImage adds an init container that runs an image.
func (p *PodWrapper) InitContainerImage(name, image string) *PodWrapper {
	p.Spec.InitContainers = append(p.Spec.InitContainers, api.Container{Name: name, Image: image})
	return p
}
