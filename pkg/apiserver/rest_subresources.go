package apiserver

import (
	"fmt"
	"net/http"
	"reflect"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/admission"
	"skiff/pkg/apiserver/patch"
	"skiff/pkg/apiserver/registry"
)

// serveScale serves the scale subresource (autoscaling/v1 Scale) of Deployments
// and ReplicaSets: `kubectl scale` reads and writes spec.replicas through it.
func (c *call) serveScale(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch c.info.Verb {
	case "get":
		obj, err := c.store.Get(ctx, c.key(c.info.Name))
		if err != nil {
			c.s.writeError(w, r, err, c.res, c.info.Name)
			return
		}
		scale, _ := registry.ScaleOf(obj)
		writeObject(w, r, http.StatusOK, scale)
		return
	case "update", "patch":
	default:
		c.s.writeError(w, r, methodNotAllowed(r, c.res.Plural+"/scale"), c.res)
		return
	}
	wr, err := readWrite(r, c.info.Verb == "patch")
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	dry, mode, data, pt := wr.dryRun, wr.mode, wr.body, wr.mediaType
	var warnings []string
	out, err := c.guaranteedUpdate(ctx, dry, func(cur api.Object) (api.Object, error) {
		body, mt := data, pt
		current, _ := registry.ScaleOf(cur)
		if c.info.Verb == "patch" {
			if body, err = applyPatch(pt, current, data, patch.SchemaFor(reflect.TypeOf(current))); err != nil {
				return nil, err
			}
			mt = "application/json"
		}
		decoded, warns, err := decodeInto(&api.Scale{}, "Scale", "autoscaling/v1", body, mt, mode)
		if err != nil {
			return nil, err
		}
		warnings = warns
		scale := decoded.(*api.Scale)
		if scale.Name != "" && scale.Name != c.info.Name {
			return nil, api.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", scale.Name, c.info.Name))
		}
		if rv := scale.ResourceVersion; rv != "" && rv != cur.GetObjectMeta().ResourceVersion {
			return nil, api.NewConflict(c.res.GroupResource(), c.info.Name, "the object has been modified; please apply your changes to the latest version and try again")
		}
		if errs := api.ValidateScale(scale); len(errs) > 0 {
			return nil, api.NewInvalid("Scale", c.info.Name, errs)
		}
		obj := api.DeepCopy(cur)
		registry.SetReplicas(obj, scale.Spec.Replicas)
		return c.updateFrom(ctx, obj, cur, "", dry)
	})
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	scale, _ := registry.ScaleOf(out)
	addWarnings(w, append(warnings, c.warnings...))
	writeObject(w, r, http.StatusOK, scale)
}

// bind assigns a pod to a node (pods/binding), as the scheduler does: it sets
// spec.nodeName once and marks the pod PodScheduled.
func (c *call) bind(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data, mt, err := readBody(r, objectTypes...)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	decoded, _, err := decodeInto(&api.Binding{}, "Binding", "v1", data, mt, validationIgnore)
	if err != nil {
		c.s.writeError(w, r, err, c.res)
		return
	}
	b := decoded.(*api.Binding)
	if b.Name != "" && b.Name != c.info.Name {
		c.s.writeError(w, r, api.NewBadRequest(fmt.Sprintf("the name of the binding (%s) does not match the pod on the URL (%s)", b.Name, c.info.Name)), c.res)
		return
	}
	if errs := api.ValidateBinding(b); len(errs) > 0 {
		c.s.writeError(w, r, api.NewInvalid("Binding", c.info.Name, errs), c.res)
		return
	}
	_, err = c.store.GuaranteedUpdate(ctx, c.key(c.info.Name), nil, func(cur api.Object) (api.Object, error) {
		pod := cur.(*api.Pod)
		if b.UID != "" && b.UID != pod.UID {
			return nil, api.NewConflict(c.res.GroupResource(), pod.Name, "the UID in the binding does not match the pod")
		}
		if pod.DeletionTimestamp != nil {
			return nil, api.NewConflict(c.res.GroupResource(), pod.Name, "pod is being deleted, cannot be assigned to a host")
		}
		if pod.Spec.NodeName != "" {
			return nil, api.NewConflict(c.res.GroupResource(), pod.Name, fmt.Sprintf("pod %s is already assigned to node %q", pod.Name, pod.Spec.NodeName))
		}
		old := api.DeepCopy(pod)
		pod.Spec.NodeName = b.Target.Name
		for k, v := range b.Annotations {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[k] = v
		}
		setPodCondition(pod, api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: api.Now()})
		attrs := &admission.Attributes{Operation: admission.Create, Kind: "Binding", Version: "v1", Resource: "pods",
			Subresource: "binding", Namespace: pod.Namespace, Name: pod.Name, Object: b, OldObject: old, User: c.user}
		if err := c.s.admission.Admit(ctx, attrs); err != nil {
			return nil, err
		}
		if err := c.s.admission.Validate(ctx, attrs); err != nil {
			return nil, err
		}
		return pod, nil
	})
	if err != nil {
		c.s.writeError(w, r, err, c.res, c.info.Name)
		return
	}
	writeObject(w, r, http.StatusCreated, api.Status{TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: api.StatusSuccess, Code: http.StatusCreated})
}

// setPodCondition adds or replaces a condition by type.
func setPodCondition(p *api.Pod, cond api.PodCondition) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == cond.Type {
			if p.Status.Conditions[i].Status == cond.Status {
				cond.LastTransitionTime = p.Status.Conditions[i].LastTransitionTime
			}
			p.Status.Conditions[i] = cond
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, cond)
}
