# Skiff's build. `make run` starts a cluster on this machine; `make test` runs
# every test (CI runs it through .ci/run).

GO        ?= go
BIN       := $(CURDIR)/bin
DATA_DIR  ?= $(CURDIR)/_data
E2E_BIN   := $(CURDIR)/e2e/bin
COMMANDS  := apiserver scheduler controller-manager nodeagent skiffctl apibench schedbench podbench
KUBECTL_137_VERSION := v1.37.2
KUBECTL_137_LDFLAGS := \
	-X k8s.io/client-go/pkg/version.gitVersion=$(KUBECTL_137_VERSION) \
	-X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=37 \
	-X k8s.io/component-base/version.gitVersion=$(KUBECTL_137_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37

.PHONY: all build test unit run reset e2e e2e-tools bench schedbench lint fuzz clean proto

all: build

## build: compile every command into bin/
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(COMMANDS))

## run: start a one-machine Skiff cluster: control plane and a node agent (data in _data/, Ctrl-C stops it)
run: build
	DATA_DIR=$(DATA_DIR) BIN=$(BIN) ./hack/run.sh

## reset: after stopping `make run`, remove its pods' containers, the imported images, the pod network and the data
reset: build
	$(BIN)/nodeagent reset --containerd-namespace $${CONTAINERD_NAMESPACE:-skiff} --root-dir $(DATA_DIR)/node/agent
	rm -rf $(DATA_DIR)

## test: everything a contributor keeps green: lint, unit and integration tests, e2e
test: lint unit e2e

## unit: unit and integration tests (real embedded etcd), with the race detector
unit:
	$(GO) test -race -count=1 -timeout 20m ./...

## e2e: compatibility tests with kubectl 1.20, 1.32 and 1.37 and client-go, against the built binaries
e2e: build e2e-tools
	cd e2e && SKIFF_BIN=$(BIN) KUBECTL_BIN=$(E2E_BIN) $(GO) test -count=1 -timeout 20m ./...

e2e-tools: $(E2E_BIN)/kubectl-1.37 $(E2E_BIN)/kubectl-1.20

$(E2E_BIN)/kubectl-1.37: e2e/go.mod e2e/go.sum
	@mkdir -p $(E2E_BIN)
	cd e2e && $(GO) build -ldflags "$(KUBECTL_137_LDFLAGS)" -o $@ ./cmd/kubectl

# kubectl 1.20 comes from Debian's kubernetes-client package, unpacked here
# rather than installed (it conflicts with the preinstalled kubectl).
$(E2E_BIN)/kubectl-1.20:
	@mkdir -p $(E2E_BIN)/deb
	cd $(E2E_BIN)/deb && apt-get download kubernetes-client && dpkg-deb -x kubernetes-client_*.deb x
	cp $(E2E_BIN)/deb/x/usr/bin/kubectl $@
	rm -rf $(E2E_BIN)/deb

## bench: API and scheduler benchmarks against a fresh Skiff (and any KUBECONFIGS=a,b given), and pod start-up on one node (root, containerd); FULL=1 adds the 1,000- and 5,000-node scheduler sizes
bench: build
	$(BIN)/apibench --start-skiff $(BIN)/apiserver $(if $(KUBECONFIGS),--kubeconfigs $(KUBECONFIGS))
	$(BIN)/schedbench --start-skiff $(BIN) $(if $(FULL),,--quick) --deployment 100x1000 $(if $(KUBECONFIGS),--kubeconfigs $(KUBECONFIGS))
	$(BIN)/podbench --bin $(BIN) --skip-unavailable

## schedbench: scheduler benchmark only (100 nodes/2,000 pods; FULL=1 for all three sizes)
schedbench: build
	$(BIN)/schedbench --start-skiff $(BIN) $(if $(FULL),,--quick) $(if $(KUBECONFIGS),--kubeconfigs $(KUBECONFIGS))

## lint: gofmt and go vet over both modules
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd e2e && $(GO) vet ./...

## fuzz: run each fuzz target for FUZZTIME (default 1m)
FUZZTIME ?= 1m
fuzz:
	./hack/fuzz.sh $(FUZZTIME)

clean:
	rm -rf $(BIN) $(E2E_BIN)

# Versions of the protoc plugins that generated proto/agentv1.
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2

## proto: regenerate proto/agentv1 from proto/agent.proto (protoc from Debian's protobuf-compiler; commit the result)
proto:
	@command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler"; exit 1; }
	GOBIN=$(BIN)/proto-tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(BIN)/proto-tools $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH="$(BIN)/proto-tools:$$PATH" protoc -I proto \
		--go_out=. --go_opt=module=skiff \
		--go-grpc_out=. --go-grpc_opt=module=skiff \
		proto/agent.proto
