package api

import (
	"fmt"
	"reflect"
	"strings"
)

// ValidatePriorityClass checks a PriorityClass as Kubernetes does: a DNS subdomain
// name; names starting "system-" only for the built-in classes, with their own
// values; user classes at most HighestUserDefinablePriority; a known preemption
// policy.
func ValidatePriorityClass(pc *PriorityClass) FieldErrors {
	errs := ValidateObjectMeta(&pc.ObjectMeta, false, ValidateSubdomainName)
	if strings.HasPrefix(pc.Name, SystemPriorityClassPrefix) {
		if msg := knownSystemPriorityClass(pc); msg != "" {
			errs = append(errs, Forbidden(NewPath("metadata", "name"),
				"priority class names with '"+SystemPriorityClassPrefix+"' prefix are reserved for system use only. error: "+msg))
		}
	} else if pc.Value > HighestUserDefinablePriority {
		errs = append(errs, Forbidden(NewPath("value"),
			fmt.Sprintf("maximum allowed value of a user defined priority is %d", HighestUserDefinablePriority)))
	}
	if pc.PreemptionPolicy != nil {
		errs = append(errs, validatePreemptionPolicy(pc.PreemptionPolicy, NewPath("preemptionPolicy"))...)
	}
	return errs
}

// ValidatePriorityClassUpdate checks an update: value and preemptionPolicy never
// change (pods already carry them).
func ValidatePriorityClassUpdate(pc, old *PriorityClass) FieldErrors {
	errs := append(ValidateObjectMetaUpdate(&pc.ObjectMeta, &old.ObjectMeta), ValidatePriorityClass(pc)...)
	if pc.Value != old.Value {
		errs = append(errs, Forbidden(NewPath("value"), "may not be changed in an update."))
	}
	if !reflect.DeepEqual(pc.PreemptionPolicy, old.PreemptionPolicy) {
		errs = append(errs, Invalid(NewPath("preemptionPolicy"), pc.PreemptionPolicy, "field is immutable"))
	}
	return errs
}

// knownSystemPriorityClass says what is wrong with a class whose name has the
// system prefix, or "" if it is one of the built-in classes as built.
func knownSystemPriorityClass(pc *PriorityClass) string {
	for _, sys := range SystemPriorityClasses() {
		if sys.Name != pc.Name {
			continue
		}
		if sys.Value != pc.Value {
			return fmt.Sprintf("value of %s PriorityClass must be %d", sys.Name, sys.Value)
		}
		if sys.GlobalDefault != pc.GlobalDefault {
			return fmt.Sprintf("globalDefault of %s PriorityClass must be %t", sys.Name, sys.GlobalDefault)
		}
		return ""
	}
	return pc.Name + " is not a known system priority class"
}

// validatePreemptionPolicy checks a pod's or a class's preemption policy.
func validatePreemptionPolicy(policy *string, p *Path) FieldErrors {
	switch *policy {
	case PreemptLowerPriority, PreemptNever:
		return nil
	case "":
		return FieldErrors{Required(p, "")}
	}
	return FieldErrors{NotSupported(p, *policy, []string{PreemptLowerPriority, PreemptNever})}
}
