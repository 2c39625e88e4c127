// Package plugins lists every scheduler plugin Skiff has, and the default
// profile: which plugins run, in which order, with which score weights.
package plugins

import (
	"skiff/pkg/scheduler/framework"
	"skiff/pkg/scheduler/plugins/defaultbinder"
	"skiff/pkg/scheduler/plugins/defaultpreemption"
	"skiff/pkg/scheduler/plugins/imagelocality"
	"skiff/pkg/scheduler/plugins/interpodaffinity"
	"skiff/pkg/scheduler/plugins/nodeaffinity"
	"skiff/pkg/scheduler/plugins/nodename"
	"skiff/pkg/scheduler/plugins/nodeports"
	"skiff/pkg/scheduler/plugins/noderesources"
	"skiff/pkg/scheduler/plugins/nodeunschedulable"
	"skiff/pkg/scheduler/plugins/podtopologyspread"
	"skiff/pkg/scheduler/plugins/queuesort"
	"skiff/pkg/scheduler/plugins/tainttoleration"
)

// NewRegistry returns every plugin's factory by name.
func NewRegistry() map[string]framework.Factory {
	return map[string]framework.Factory{
		queuesort.Name:                       queuesort.New,
		nodeunschedulable.Name:               nodeunschedulable.New,
		nodename.Name:                        nodename.New,
		tainttoleration.Name:                 tainttoleration.New,
		nodeaffinity.Name:                    nodeaffinity.New,
		nodeports.Name:                       nodeports.New,
		noderesources.FitName:                noderesources.NewFit,
		noderesources.BalancedAllocationName: noderesources.NewBalancedAllocation,
		podtopologyspread.Name:               podtopologyspread.New,
		interpodaffinity.Name:                interpodaffinity.New,
		imagelocality.Name:                   imagelocality.New,
		defaultbinder.Name:                   defaultbinder.New,
		defaultpreemption.Name:               defaultpreemption.New,
	}
}

// PluginRef is a plugin in a profile, with its score weight (0: the default).
type PluginRef struct {
	Name   string
	Weight int64
}

// Default is the default profile's plugins in the order they run, with
// kube-scheduler's default score weights.
func Default() []PluginRef {
	return []PluginRef{
		{Name: queuesort.Name},
		{Name: nodeunschedulable.Name},
		{Name: nodename.Name},
		{Name: tainttoleration.Name, Weight: 3},
		{Name: nodeaffinity.Name, Weight: 2},
		{Name: nodeports.Name},
		{Name: noderesources.FitName, Weight: 1},
		{Name: podtopologyspread.Name, Weight: 2},
		{Name: interpodaffinity.Name, Weight: 2},
		{Name: noderesources.BalancedAllocationName, Weight: 1},
		{Name: imagelocality.Name, Weight: 1},
		{Name: defaultpreemption.Name},
		{Name: defaultbinder.Name},
	}
}
