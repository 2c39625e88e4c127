#!/usr/bin/env bash
# Starts Skiff's control plane on this machine (apiserver, scheduler,
# controller-manager) and stops it on Ctrl-C.
# The data directory keeps the CA, the admin kubeconfig and etcd's data, so a
# second run reuses them.
set -euo pipefail

DATA_DIR=${DATA_DIR:-$PWD/_data}
BIN=${BIN:-$PWD/bin}
mkdir -p "$DATA_DIR"

pids=()
stop() {
	trap - INT TERM EXIT
	echo
	echo "stopping Skiff..."
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait
	echo "stopped; data kept in $DATA_DIR"
}
trap stop INT TERM EXIT

"$BIN/apiserver" --data-dir "$DATA_DIR/server" 2>>"$DATA_DIR/apiserver.log" &
pids+=($!)

kubeconfig="$DATA_DIR/server/admin.kubeconfig"
for _ in $(seq 1 300); do
	if [ -f "$kubeconfig" ] && kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		echo "the apiserver exited; its log:" >&2
		tail -n 20 "$DATA_DIR/apiserver.log" >&2
		exit 1
	fi
	sleep 0.1
done

"$BIN/scheduler" --kubeconfig "$DATA_DIR/server/scheduler.kubeconfig" 2>>"$DATA_DIR/scheduler.log" &
pids+=($!)
"$BIN/controller-manager" --kubeconfig "$DATA_DIR/server/controller-manager.kubeconfig" 2>>"$DATA_DIR/controller-manager.log" &
pids+=($!)

cat <<MSG

Skiff is running.  Logs: $DATA_DIR/*.log

  export KUBECONFIG=$kubeconfig
  kubectl get namespaces
  kubectl apply -f examples/scheduling/     # a Node (no agent yet) and two pods
  kubectl get pods -o wide                  # web is bound to lab-1; too-big is Pending
  bin/skiffctl why-pending too-big          # which plugin rejected each node, and why

Press Ctrl-C to stop.
MSG
wait
