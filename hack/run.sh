#!/usr/bin/env bash
# Starts a one-machine Skiff cluster: the control plane (apiserver with
# embedded etcd, scheduler, controller-manager) and a node agent running pods
# through containerd, and stops it on Ctrl-C.
#
# As root it installs what is missing with apt-get and starts containerd if it
# is not running. The data directory keeps the CA, the kubeconfigs, etcd's data
# and the agent's state, so a second run reuses them. The sample image
# (skiff.local/busybox:stable, built from Debian's busybox-static) is built once
# and imported, so examples/ works offline.
#
# Environment: DATA_DIR (default ./_data), BIN (./bin), CONTAINERD_NAMESPACE
# (skiff), NODE_NAME (the host name), NODE_IP (the default route's address).
set -euo pipefail

DATA_DIR=${DATA_DIR:-$PWD/_data}
BIN=${BIN:-$PWD/bin}
CONTAINERD_NAMESPACE=${CONTAINERD_NAMESPACE:-skiff}
NODE_NAME=${NODE_NAME:-$(hostname | tr '[:upper:]' '[:lower:]')}
IMAGE=skiff.local/busybox:stable
HERE=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s%N)

say() { printf '%s\n' "$*"; }
ms_since_start() { echo $((($(date +%s%N) - start) / 1000000)); }

# --- What the node needs --------------------------------------------------
# command → Debian package
declare -A needs=([containerd]=containerd [runc]=runc [/usr/lib/cni/bridge]=containernetworking-plugins
	[/bin/busybox]=busybox-static [umoci]=umoci [jq]=jq [iptables]=iptables [ip]=iproute2 [nsenter]=util-linux)
missing=()
for cmd in "${!needs[@]}"; do
	if [[ $cmd == /* ]]; then [[ -x $cmd ]] || missing+=("${needs[$cmd]}"); else command -v "$cmd" >/dev/null || missing+=("${needs[$cmd]}"); fi
done
if [[ $(id -u) != 0 ]]; then
	say "make run needs root: the node agent creates network namespaces, a bridge and containers." >&2
	((${#missing[@]})) && say "Missing packages: sudo apt-get install -y ${missing[*]}" >&2
	say "Run: sudo make run" >&2
	exit 1
fi
if ((${#missing[@]})); then
	say "installing ${missing[*]} ..."
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p "$DATA_DIR"
if ! ctr version >/dev/null 2>&1; then
	say "starting containerd (log: $DATA_DIR/containerd.log) ..."
	rm -f /run/containerd/containerd.sock
	setsid containerd >>"$DATA_DIR/containerd.log" 2>&1 </dev/null &
	for _ in $(seq 1 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
	ctr version >/dev/null 2>&1 || { say "containerd did not start; see $DATA_DIR/containerd.log" >&2; exit 1; }
fi

# --- The control plane ----------------------------------------------------
pids=()
stop() {
	trap - INT TERM EXIT
	echo
	say "stopping Skiff..."
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
	wait
	say "stopped; data kept in $DATA_DIR."
	say "Pods' containers keep running, as they do when a kubelet restarts; the next 'make run' adopts them."
	say "'make reset' removes them, the images, the pod network and the data."
}
trap stop INT TERM EXIT

"$BIN/apiserver" --data-dir "$DATA_DIR/server" 2>>"$DATA_DIR/apiserver.log" &
pids+=($!)
admin="$DATA_DIR/server/admin.kubeconfig"
for _ in $(seq 1 300); do
	if [[ -f $admin ]] && kubectl --kubeconfig "$admin" get --raw /readyz >/dev/null 2>&1; then break; fi
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		say "the apiserver exited; its log:" >&2
		tail -n 20 "$DATA_DIR/apiserver.log" >&2
		exit 1
	fi
	sleep 0.05
done
"$BIN/scheduler" --kubeconfig "$DATA_DIR/server/scheduler.kubeconfig" 2>>"$DATA_DIR/scheduler.log" &
pids+=($!)
"$BIN/controller-manager" --kubeconfig "$DATA_DIR/server/controller-manager.kubeconfig" 2>>"$DATA_DIR/controller-manager.log" &
pids+=($!)

# --- The node -------------------------------------------------------------
if [[ -z ${NODE_IP:-} ]]; then
	# The address this machine would use towards others (no packet is sent).
	NODE_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}')
	NODE_IP=${NODE_IP:-127.0.0.1}
fi
node_dir="$DATA_DIR/node"
mkdir -p "$node_dir"
if [[ ! -f $node_dir/node.kubeconfig ]]; then
	"$BIN/skiffctl" node-kubeconfig "$NODE_NAME" --data-dir "$DATA_DIR/server" --out "$node_dir/node.kubeconfig" \
		--serving-cert "$node_dir/agent.crt" --serving-key "$node_dir/agent.key" --node-ip "$NODE_IP"
fi
if ! ctr -n "$CONTAINERD_NAMESPACE" images ls -q 2>/dev/null | grep -qx "$IMAGE"; then
	mkdir -p "$DATA_DIR/images"
	[[ -f $DATA_DIR/images/busybox.tar ]] || "$HERE/images/busybox.sh" "$DATA_DIR/images/busybox.tar" "$IMAGE" >/dev/null
	"$BIN/nodeagent" import-image "$DATA_DIR/images/busybox.tar" --ref "$IMAGE" \
		--containerd-namespace "$CONTAINERD_NAMESPACE" --root-dir "$node_dir/agent" 2>>"$DATA_DIR/nodeagent.log" >/dev/null
fi
"$BIN/nodeagent" --kubeconfig "$node_dir/node.kubeconfig" --node-name "$NODE_NAME" --node-ip "$NODE_IP" \
	--root-dir "$node_dir/agent" --containerd-namespace "$CONTAINERD_NAMESPACE" \
	--tls-cert-file "$node_dir/agent.crt" --tls-key-file "$node_dir/agent.key" 2>>"$DATA_DIR/nodeagent.log" &
pids+=($!)
for _ in $(seq 1 600); do
	ready=$(kubectl --kubeconfig "$admin" get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
	[[ $ready == True ]] && break
	if ! kill -0 "${pids[-1]}" 2>/dev/null; then
		say "the node agent exited; its log:" >&2
		tail -n 20 "$DATA_DIR/nodeagent.log" >&2
		exit 1
	fi
	sleep 0.05
done
[[ $ready == True ]] || say "warning: node $NODE_NAME is not Ready yet; see $DATA_DIR/nodeagent.log" >&2

cat <<MSG

Skiff is running: node $NODE_NAME Ready $(ms_since_start) ms after start.  Logs: $DATA_DIR/*.log

  export KUBECONFIG=$admin
  kubectl get nodes
  kubectl apply -f examples/                # a pod, a Deployment of busybox httpd, a one-shot pod
  kubectl get pods -o wide
  kubectl logs hello

Press Ctrl-C to stop.
MSG
wait
