// Package agentv1 is the Go code generated from proto/agent.proto: the node
// agent's gRPC API (skiff.agent.v1.Agent), which the apiserver calls to serve
// pods/log. Only this file is written by hand; run `make proto` to regenerate
// the others after changing the .proto file.
package agentv1
