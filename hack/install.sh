#!/usr/bin/env bash
# install.sh puts Skiff on a Debian machine as systemd services: the server
# role (apiserver with embedded etcd, scheduler, controller-manager) or the
# node role (containerd and the node agent, joined with a token). See
# docs/lab.md for a whole lab of three VMs.
#
#   hack/install.sh server [--advertise-address IP]
#   hack/install.sh node --join "--server https://10.0.0.10:6443 --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX"
#
# Options:
#   --bin-dir DIR            where the binaries are (default: bin/ of this checkout, from `make build`)
#   --join "ARGS"            node: the nodeagent arguments printed by `skiffctl token create`
#                            (a leading "nodeagent" is dropped); written to /etc/skiff/nodeagent.env.
#                            Left out on a re-run, the existing env file is kept.
#   --advertise-address IP   server: the IP nodes reach the apiserver on (default: the source
#                            address of this machine's default route); /etc/skiff/apiserver.env
#   --no-apt                 do not apt-get install anything (say what is missing instead)
#   --destdir DIR            install the files under DIR instead of /, and run nothing on the
#                            system (no apt, sysctl, modprobe, systemctl, image import): for
#                            testing this script and for packaging
#   --dry-run                print what would be done, change nothing
#
# Run as root. Running it again is safe: files that did not change are left
# alone, and only services whose binary, unit or settings changed restart.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prog=hack/install.sh

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}

role=${1:-}
case $role in
server | node) shift ;;
-h | --help | help) usage ;;
*) echo "$prog: give the role first: server or node" >&2; usage ;;
esac

bin_dir=$repo/bin
join=
join_given=false
advertise=
apt=true
destdir=
dry_run=false
while [[ $# -gt 0 ]]; do
	case $1 in
	--bin-dir) bin_dir=${2:?--bin-dir needs a directory}; shift 2 ;;
	--bin-dir=*) bin_dir=${1#*=}; shift ;;
	--join) join=${2:?--join needs the arguments of skiffctl token create}; join_given=true; shift 2 ;;
	--join=*) join=${1#*=}; join_given=true; shift ;;
	--advertise-address) advertise=${2:?--advertise-address needs an IP}; shift 2 ;;
	--advertise-address=*) advertise=${1#*=}; shift ;;
	--no-apt) apt=false; shift ;;
	--destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
	--destdir=*) destdir=${1#*=}; shift ;;
	--dry-run) dry_run=true; shift ;;
	-h | --help) usage ;;
	*) die "unknown option $1 (see $prog --help)" ;;
	esac
done
if [[ $role == server && $join_given == true ]]; then
	die "--join is for the node role; on the server, run $prog node --join \"...\" as well to make it a node too"
fi
if [[ $role == node && -n $advertise ]]; then
	die "--advertise-address is for the server role (a node's own IP goes into --join as --node-ip IP)"
fi
if [[ -n $destdir ]]; then
	mkdir -p "$destdir"
	destdir=$(cd "$destdir" && pwd)
	apt=false
fi
# The system is changed only for a real install: not with --destdir or --dry-run.
live=true
if [[ -n $destdir || $dry_run == true ]]; then
	live=false
fi
if [[ $live == true && $(id -u) != 0 ]]; then
	die "run me as root (sudo $prog $role ...)"
fi

note() { echo "==> $*"; }

# sys runs a command that changes the system, or only prints it when not live.
sys() {
	if [[ $live == true ]]; then
		"$@"
	else
		echo "    (skipped) $*"
	fi
}

# changed_units collects the services whose files changed, to restart them.
changed_units=()
mark_changed() {
	local u
	for u in "$@"; do
		[[ " ${changed_units[*]} " == *" $u "* ]] || changed_units+=("$u")
	done
}

# put SRC DEST MODE [UNIT...]: installs SRC at $destdir/DEST unless it is
# already there with the same content and mode; a change marks the units. The
# new file is moved into place, so a running binary is replaced, not written
# over ("text file busy").
put() {
	local src=$1 rel=$2 dest=$destdir$2 mode=$3
	shift 3
	if [[ -f $dest ]] && cmp -s "$src" "$dest" && [[ $(stat -c %a "$dest") == "${mode#0}" ]]; then
		echo "    unchanged $rel"
		return
	fi
	if [[ $dry_run == true ]]; then
		echo "    would install $rel (mode $mode)"
	else
		mkdir -p "$(dirname "$dest")"
		install -m "$mode" "$src" "$dest.skiff-new"
		mv -f "$dest.skiff-new" "$dest"
		echo "    installed $rel"
	fi
	mark_changed "$@"
}

# write DEST MODE CONTENT [UNIT...]: put for generated content.
write() {
	local dest=$1 mode=$2 content=$3 tmp
	shift 3
	tmp=$(mktemp)
	printf '%s' "$content" >"$tmp"
	put "$tmp" "$dest" "$mode" "$@"
	rm -f "$tmp"
}

# --- what the role needs ----------------------------------------------------

if [[ $role == server ]]; then
	binaries=(apiserver scheduler controller-manager skiffctl)
	units=(skiff-apiserver.service skiff-scheduler.service skiff-controller-manager.service)
	packages=(iproute2)
else
	binaries=(nodeagent skiffctl)
	units=(skiff-nodeagent.service)
	# busybox-static, umoci and jq build the sample image (hack/images/busybox.sh);
	# iptables is what the CNI bridge and portmap plugins call.
	packages=(containerd runc containernetworking-plugins iptables iproute2 busybox-static umoci jq)
fi

for b in "${binaries[@]}"; do
	[[ -x $bin_dir/$b ]] || die "$bin_dir/$b is missing: run make build in the checkout first (or give --bin-dir)"
done
for u in "${units[@]}"; do
	[[ -f $repo/deploy/systemd/$u ]] || die "$repo/deploy/systemd/$u is missing: run me from a whole checkout"
done

# --- settings, checked before anything changes -------------------------------

# default_ip is the source address of the default route.
default_ip() {
	ip -4 -o route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p'
}

if [[ $role == server ]]; then
	env_file=/etc/skiff/apiserver.env
	if [[ -z $advertise && ! -f $destdir$env_file ]]; then
		advertise=$(default_ip)
		[[ -n $advertise ]] || die "cannot tell this machine's IP (no default route): give --advertise-address IP"
		echo "advertise address $advertise (the default route's source; choose with --advertise-address IP)"
	fi
	if [[ -n $advertise && ! $advertise =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ && $advertise != *:* ]]; then
		die "--advertise-address $advertise is not an IP address"
	fi
else
	env_file=/etc/skiff/nodeagent.env
	if [[ $join_given == false ]]; then
		[[ -f $destdir$env_file ]] || die "the node role needs --join \"ARGS\": run skiffctl token create on the server and pass what it prints"
	else
		# Accept the whole line skiffctl token create prints.
		join=$(sed -E 's/^[[:space:]]*([^[:space:]]*\/)?nodeagent[[:space:]]+//' <<<"$join")
		[[ $join == *--server* ]] || die "--join \"$join\" has no --server: pass what skiffctl token create prints"
		# systemd reads the value between double quotes: keep it plain.
		[[ $join != *[\"\\\$\`]* && $join != *$'\n'* ]] || die "--join must not contain quotes, backslashes, \$ or newlines"
	fi
fi

# --- packages ------------------------------------------------------------------

note "packages: ${packages[*]}"
missing=()
for p in "${packages[@]}"; do
	if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) != "install ok installed" ]]; then
		missing+=("$p")
	fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "    all installed"
elif [[ $apt == true ]]; then
	sys apt-get update
	sys env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
elif [[ -z $destdir ]]; then
	die "missing packages: ${missing[*]} (apt-get install ${missing[*]}, or leave out --no-apt)"
else
	echo "    missing here (not installed with --destdir): ${missing[*]}"
fi

# --- kernel settings (node) ---------------------------------------------------

if [[ $role == node ]]; then
	note "kernel: IP forwarding, br_netfilter"
	# Pods reach other nodes' pods through this machine's routes (host-gw).
	write /etc/sysctl.d/99-skiff.conf 0644 $'# Written by Skiff\'s hack/install.sh: nodes route pod traffic.\nnet.ipv4.ip_forward = 1\n'
	sys sysctl -q -w net.ipv4.ip_forward=1
	# br_netfilter lets iptables see traffic between pods on the node's bridge,
	# as Kubernetes network plugins expect; not every kernel has it as a module.
	if modinfo br_netfilter >/dev/null 2>&1; then
		write /etc/modules-load.d/skiff.conf 0644 $'# Written by Skiff\'s hack/install.sh.\nbr_netfilter\n'
		sys modprobe br_netfilter
	else
		echo "    br_netfilter: no such module here (built in, or not needed)"
	fi
fi

# --- binaries, units, settings -------------------------------------------------

note "binaries into /usr/local/bin"
for b in "${binaries[@]}"; do
	# A new binary restarts its service (skiffctl has none).
	unit=()
	[[ -f $repo/deploy/systemd/skiff-$b.service ]] && unit=("skiff-$b.service")
	put "$bin_dir/$b" "/usr/local/bin/$b" 0755 ${unit[@]+"${unit[@]}"}
done

note "systemd units into /etc/systemd/system"
for u in "${units[@]}"; do
	put "$repo/deploy/systemd/$u" /etc/systemd/system/"$u" 0644 "$u"
done
if [[ -f $repo/docs/lab.md ]]; then
	put "$repo/docs/lab.md" /usr/local/share/doc/skiff/lab.md 0644
fi

if [[ $role == server ]]; then
	note "settings: $env_file"
	if [[ -z $advertise ]]; then
		echo "    kept (give --advertise-address to change it)"
	else
		extra=
		if [[ -f $destdir$env_file ]]; then
			# Keep flags an admin added.
			extra=$(sed -n 's/^SKIFF_APISERVER_ARGS=//p' "$destdir$env_file" | tail -n 1)
		fi
		write "$env_file" 0644 "# Written by Skiff's hack/install.sh; read by skiff-apiserver.service.
# The IP nodes reach the apiserver on.
SKIFF_ADVERTISE_ADDRESS=$advertise
# More apiserver flags, e.g. --tls-san skiff.lab (see apiserver --help).
SKIFF_APISERVER_ARGS=$extra
" skiff-apiserver.service
	fi
else
	note "settings: $env_file"
	if [[ $join_given == false ]]; then
		echo "    kept (give --join to change it)"
	else
		write "$env_file" 0600 "# Written by Skiff's hack/install.sh; read by skiff-nodeagent.service.
# The arguments nodeagent joins the cluster with (skiffctl token create).
SKIFF_JOIN_ARGS=\"$join\"
" skiff-nodeagent.service
	fi
fi

# --- start -------------------------------------------------------------------

note "systemd"
sys systemctl daemon-reload

if [[ $role == node ]]; then
	sys systemctl enable --now containerd.service
	if [[ $live == true ]]; then
		for _ in $(seq 1 100); do
			[[ -S /run/containerd/containerd.sock ]] && break
			sleep 0.1
		done
		[[ -S /run/containerd/containerd.sock ]] || die "containerd did not start: journalctl -u containerd"
	fi

	note "sample image (offline): skiff.local/busybox:stable, as examples/ uses"
	image=/var/lib/skiff/images/busybox.tar
	sys mkdir -p "$(dirname "$image")"
	sys "$repo/hack/images/busybox.sh" "$image" skiff.local/busybox:stable
	sys /usr/local/bin/nodeagent import-image "$image" --ref skiff.local/busybox:stable
fi

for u in "${units[@]}"; do
	sys systemctl enable "$u"
	if [[ " ${changed_units[*]} " == *" $u "* ]]; then
		sys systemctl restart "$u"
	else
		sys systemctl start "$u"
	fi
done

if [[ $role == server && $live == true ]]; then
	kubeconfig=/var/lib/skiff/server/admin.kubeconfig
	for _ in $(seq 1 300); do
		[[ -f $kubeconfig ]] && break
		sleep 0.1
	done
	[[ -f $kubeconfig ]] || die "the apiserver has not written $kubeconfig after 30 s: journalctl -u skiff-apiserver"
fi

echo
if [[ $dry_run == true ]]; then
	echo "dry run: nothing was changed"
elif [[ -n $destdir ]]; then
	echo "installed under $destdir; nothing on this system was changed or started"
elif [[ $role == server ]]; then
	cat <<MSG
The server is running: systemctl status 'skiff-*'

  export KUBECONFIG=/var/lib/skiff/server/admin.kubeconfig
  skiffctl token create          # prints the join arguments for each node
  $prog node --join "..."   # on each node (and here, to make the server a node too)
  kubectl get nodes
MSG
else
	cat <<MSG
The node agent is running: systemctl status skiff-nodeagent; journalctl -u skiff-nodeagent -f
On the server: kubectl get nodes      (skiffctl doctor --role node checks this machine)
MSG
fi
