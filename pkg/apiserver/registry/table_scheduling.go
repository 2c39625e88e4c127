package registry

import (
	"time"

	"skiff/pkg/api"
)

// priorityClassTable is what kubectl get priorityclasses shows: current Kubernetes
// prints PreemptionPolicy after Age (older servers stop at Age).
var priorityClassTable = &Table{
	Columns: []api.TableColumnDefinition{
		nameColumn,
		col("Value", "integer", "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
		col("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority."),
		ageColumn,
		col("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
	},
	Row: func(obj api.Object, now time.Time) []any {
		pc := obj.(*api.PriorityClass)
		policy := "<none>"
		if pc.PreemptionPolicy != nil {
			policy = *pc.PreemptionPolicy
		}
		return []any{pc.Name, int64(pc.Value), pc.GlobalDefault, Age(pc.CreationTimestamp, now), policy}
	},
}
