package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// makePriorityClass is the fixture builder for priority classes: a valid user
// class, defaulted, changed by f.
func makePriorityClass(name string, value int32, f ...func(*PriorityClass)) *PriorityClass {
	pc := &PriorityClass{ObjectMeta: ObjectMeta{Name: name}, Value: value}
	for _, fn := range f {
		fn(pc)
	}
	SetDefaultsPriorityClass(pc)
	return pc
}

func strPtr(s string) *string { return &s }

func TestValidatePriorityClass(t *testing.T) {
	tests := []struct {
		name string
		pc   *PriorityClass
		want []string
	}{
		{"valid", makePriorityClass("high", 1000), nil},
		{"negative value", makePriorityClass("low", -5), nil},
		{"user maximum", makePriorityClass("top", HighestUserDefinablePriority), nil},
		{"default with Never", makePriorityClass("batch", 10, func(pc *PriorityClass) {
			pc.GlobalDefault, pc.PreemptionPolicy = true, strPtr(PreemptNever)
		}), nil},
		{"built-in cluster critical", makePriorityClass(SystemClusterCritical, SystemCriticalPriority), nil},
		{"built-in node critical", makePriorityClass(SystemNodeCritical, SystemCriticalPriority+1000), nil},
		{"bad name", makePriorityClass("High_1", 1), []string{"metadata.name: FieldValueInvalid"}},
		{"no name", makePriorityClass("", 1), []string{"metadata.name: FieldValueRequired"}},
		{"namespaced", makePriorityClass("high", 1, func(pc *PriorityClass) { pc.Namespace = "default" }),
			[]string{"metadata.namespace: FieldValueForbidden"}},
		{"user value too high", makePriorityClass("huge", HighestUserDefinablePriority+1), []string{"value: FieldValueForbidden"}},
		{"unknown system name", makePriorityClass("system-mine", 5), []string{"metadata.name: FieldValueForbidden"}},
		{"unknown system name with a system value", makePriorityClass("system-mine", SystemCriticalPriority),
			[]string{"metadata.name: FieldValueForbidden"}},
		{"built-in name with another value", makePriorityClass(SystemNodeCritical, SystemCriticalPriority),
			[]string{"metadata.name: FieldValueForbidden"}},
		{"built-in name as the default", makePriorityClass(SystemClusterCritical, SystemCriticalPriority,
			func(pc *PriorityClass) { pc.GlobalDefault = true }), []string{"metadata.name: FieldValueForbidden"}},
		{"unknown preemption policy", makePriorityClass("high", 1, func(pc *PriorityClass) { pc.PreemptionPolicy = strPtr("Sometimes") }),
			[]string{"preemptionPolicy: FieldValueNotSupported"}},
		{"empty preemption policy", makePriorityClass("high", 1, func(pc *PriorityClass) { pc.PreemptionPolicy = strPtr("") }),
			[]string{"preemptionPolicy: FieldValueRequired"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fields(ValidatePriorityClass(tc.pc))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePriorityClassUpdate(t *testing.T) {
	old := makePriorityClass("high", 1000, func(pc *PriorityClass) { pc.UID = "u1" })
	tests := []struct {
		name string
		pc   *PriorityClass
		want []string
	}{
		{"description and default change", makePriorityClass("high", 1000, func(pc *PriorityClass) {
			pc.UID, pc.Description, pc.GlobalDefault = "u1", "now the default", true
		}), nil},
		{"value change", makePriorityClass("high", 2000, func(pc *PriorityClass) { pc.UID = "u1" }), []string{"value: FieldValueForbidden"}},
		{"preemption policy change", makePriorityClass("high", 1000, func(pc *PriorityClass) {
			pc.UID, pc.PreemptionPolicy = "u1", strPtr(PreemptNever)
		}), []string{"preemptionPolicy: FieldValueInvalid"}},
		{"value above the maximum", makePriorityClass("high", HighestUserDefinablePriority+1, func(pc *PriorityClass) { pc.UID = "u1" }),
			[]string{"value: FieldValueForbidden", "value: FieldValueForbidden"}},
		{"rename", makePriorityClass("higher", 1000, func(pc *PriorityClass) { pc.UID = "u1" }), []string{"metadata.name: FieldValueInvalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fields(ValidatePriorityClassUpdate(tc.pc, old))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPriorityClassMessages(t *testing.T) {
	tests := []struct {
		name string
		pc   *PriorityClass
		want string
	}{
		{"user value too high", makePriorityClass("huge", 1_500_000_000),
			"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"},
		{"unknown system name", makePriorityClass("system-mine", 5),
			"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"},
		{"built-in name with another value", makePriorityClass(SystemNodeCritical, 7),
			"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000"},
		{"unknown preemption policy", makePriorityClass("high", 1, func(pc *PriorityClass) { pc.PreemptionPolicy = strPtr("Sometimes") }),
			`preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidatePriorityClass(tc.pc)
			if len(errs) != 1 || errs[0].Error() != tc.want {
				t.Errorf("errors = %v, want one: %s", errs, tc.want)
			}
		})
	}
}

func TestPriorityClassDefaults(t *testing.T) {
	pc := &PriorityClass{ObjectMeta: ObjectMeta{Name: "high"}, Value: 1}
	SetDefaultsPriorityClass(pc)
	if pc.PreemptionPolicy == nil || *pc.PreemptionPolicy != PreemptLowerPriority {
		t.Errorf("preemptionPolicy = %v, want PreemptLowerPriority", pc.PreemptionPolicy)
	}
	for _, sys := range SystemPriorityClasses() {
		SetDefaultsPriorityClass(sys)
		if errs := ValidatePriorityClass(sys); len(errs) > 0 {
			t.Errorf("built-in %s is invalid: %v", sys.Name, errs)
		}
	}
}

func TestValidatePodPriorityFields(t *testing.T) {
	tests := []struct {
		name string
		pod  *Pod
		want []string
	}{
		{"class and policy", makePod().with(func(p *Pod) {
			p.Spec.PriorityClassName, p.Spec.PreemptionPolicy = "high", strPtr(PreemptNever)
		}).obj(), nil},
		{"bad class name", makePod().with(func(p *Pod) { p.Spec.PriorityClassName = "High!" }).obj(),
			[]string{"spec.priorityClassName: FieldValueInvalid"}},
		{"bad preemption policy", makePod().with(func(p *Pod) { p.Spec.PreemptionPolicy = strPtr("Always") }).obj(),
			[]string{"spec.preemptionPolicy: FieldValueNotSupported"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fields(ValidatePod(tc.pod))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
