package registry

import (
	"fmt"
	"strings"
	"time"

	"skiff/pkg/api"
)

var deploymentTable = &Table{
	Columns: []api.TableColumnDefinition{
		nameColumn,
		col("Ready", "string", "Number of the pod with ready state"),
		col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
		col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
		ageColumn,
		wide("Containers", "string", "Names of each container in the template."),
		wide("Images", "string", "Images referenced by each container in the template."),
		wide("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		d := obj.(*api.Deployment)
		names, images := containerColumns(d.Spec.Template.Spec.Containers)
		return []any{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, replicas(d.Spec.Replicas)),
			int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), Age(d.CreationTimestamp, now),
			names, images, labelSelectorText(d.Spec.Selector)}
	},
}

var replicaSetTable = &Table{
	Columns: []api.TableColumnDefinition{
		nameColumn,
		col("Desired", "integer", "Number of desired pods."),
		col("Current", "integer", "Number of actual replicas."),
		col("Ready", "integer", "The number of ready replicas for this replica set."),
		ageColumn,
		wide("Containers", "string", "Names of each container in the template."),
		wide("Images", "string", "Images referenced by each container in the template."),
		wide("Selector", "string", "Label selector for pods."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		rs := obj.(*api.ReplicaSet)
		names, images := containerColumns(rs.Spec.Template.Spec.Containers)
		return []any{rs.Name, int64(replicas(rs.Spec.Replicas)), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
			Age(rs.CreationTimestamp, now), names, images, labelSelectorText(rs.Spec.Selector)}
	},
}

func replicas(r *int32) int32 {
	if r == nil {
		return 0
	}
	return *r
}

func containerColumns(cs []api.Container) (string, string) {
	names := make([]string, len(cs))
	images := make([]string, len(cs))
	for i, c := range cs {
		names[i], images[i] = c.Name, c.Image
	}
	return strings.Join(names, ","), strings.Join(images, ",")
}

func labelSelectorText(ls *api.LabelSelector) string {
	sel, err := api.LabelSelectorAsSelector(ls)
	if err != nil {
		return "<error>"
	}
	return orNone(sel.String())
}
