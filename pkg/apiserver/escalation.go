package apiserver

import (
	"context"
	"errors"
	"fmt"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/authz"
	"skiff/pkg/apiserver/authz/rbac"
	"skiff/pkg/apiserver/request"
)

// checkEscalation is RBAC's rule that nobody grants permissions they do not hold:
// a Role or ClusterRole may only contain rules its writer has (unless they may
// "escalate" roles), and a binding may only grant a role whose rules its writer
// has (unless they may "bind" that role).
func (c *call) checkEscalation(ctx context.Context, obj api.Object) error {
	if c.res.Group != "rbac.authorization.k8s.io" {
		return nil
	}
	ns := obj.GetObjectMeta().Namespace
	var rules []api.PolicyRule
	var ref *api.RoleRef
	switch o := obj.(type) {
	case *api.Role:
		rules = o.Rules
	case *api.ClusterRole:
		rules = o.Rules
	case *api.RoleBinding:
		ref = &o.RoleRef
	case *api.ClusterRoleBinding:
		ref = &o.RoleRef
	}
	if ref == nil {
		if c.may(ctx, "escalate", c.res.Plural, ns, obj.GetObjectMeta().Name) {
			return nil
		}
	} else {
		plural := "clusterroles"
		if ref.Kind == "Role" {
			plural = "roles"
		}
		if c.may(ctx, "bind", plural, ns, ref.Name) {
			return nil
		}
		var found bool
		if ref.Kind == "Role" {
			var role *api.Role
			if role, found = c.s.lookups.GetRole(ns, ref.Name); found {
				rules = role.Rules
			}
		} else {
			var role *api.ClusterRole
			if role, found = c.s.lookups.GetClusterRole(ref.Name); found {
				rules = role.Rules
			}
		}
		if !found {
			return c.forbidden(obj, fmt.Sprintf("%s %q not found, and only users allowed to bind any role may bind to a missing one", ref.Kind, ref.Name))
		}
	}
	if err := c.s.rbac.ConfirmNoEscalation(c.user, ns, rules); err != nil {
		if errors.Is(err, rbac.ErrEscalation) {
			return c.forbidden(obj, err.Error())
		}
		return err
	}
	return nil
}

// may asks the authorizer whether the user may do verb on a named RBAC object.
func (c *call) may(ctx context.Context, verb, plural, ns, name string) bool {
	info := &request.Info{IsResourceRequest: true, Verb: verb, APIGroup: "rbac.authorization.k8s.io",
		APIVersion: "v1", Resource: plural, Namespace: ns, Name: name}
	d, _, err := c.s.authz.Authorize(ctx, authz.Attributes{User: c.user, Info: info})
	return err == nil && d == authz.Allow
}

func (c *call) forbidden(obj api.Object, why string) error {
	name := obj.GetObjectMeta().Name
	return api.NewForbidden(c.res.GroupResource(), name, fmt.Sprintf("%s %q is forbidden: %s", c.res.GroupResource(), name, why))
}
