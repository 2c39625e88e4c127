package protobuf

import "reflect"

// typeRenames maps Skiff type names to Kubernetes type names where they differ.
var typeRenames = map[string]string{}

// fieldRenames maps "KubernetesType.KubernetesField" to the Skiff field name where
// they differ.
var fieldRenames = map[string]string{
	"ContainerStatus.LastTerminationState": "LastState", // json "lastState"
}

// k8sTypeName is the name of the Kubernetes type that Skiff's type t mirrors.
func k8sTypeName(t reflect.Type) string {
	if n, ok := typeRenames[t.Name()]; ok {
		return n
	}
	return t.Name()
}

// skiffFieldName is the name of the field of Skiff's type t that holds the
// Kubernetes field k8sField.
func skiffFieldName(t reflect.Type, k8sField string) string {
	if n, ok := fieldRenames[k8sTypeName(t)+"."+k8sField]; ok {
		return n
	}
	return k8sField
}
