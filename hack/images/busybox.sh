#!/usr/bin/env bash
# busybox.sh builds a small, reproducible OCI image from Debian's busybox-static,
# for offline labs and tests: nothing is pulled from a registry.
#
#   hack/images/busybox.sh OUT.tar [REF]
#
# OUT.tar is an OCI image layout in a tar archive (what `skiffctl image import` and
# the runtime's ImportImage read). Its one manifest is annotated with REF as
# org.opencontainers.image.ref.name (default skiff.local/busybox:<busybox version>),
# so an importer that keeps the archive's names sees the full reference.
#
# The image holds /bin/busybox, a symlink in /bin for each applet, /tmp, /root,
# /etc/passwd and /etc/group; Cmd is ["sh"]. Building twice from the same
# busybox-static gives the same bytes (fixed timestamps, sorted tar).
#
# Needs: busybox-static, umoci, jq, tar (apt-get install busybox-static umoci jq).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
	echo "usage: $0 OUT.tar [REF]" >&2
	exit 2
fi
out=$1
busybox=${BUSYBOX:-/bin/busybox}
for tool in umoci jq tar; do
	command -v "$tool" >/dev/null || { echo "$0: $tool is not installed" >&2; exit 1; }
done
[[ -x $busybox ]] || { echo "$0: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
banner=$("$busybox" 2>&1 || true)
banner=${banner%%$'\n'*}
# "BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary." -> 1.35.0
version=$(sed -n 's/^BusyBox v\([0-9.]*\).*/\1/p' <<<"$banner")
if [[ -z $version ]]; then
	echo "$0: $busybox is not busybox: $banner" >&2
	exit 1
fi
ref=${2:-skiff.local/busybox:$version}

# The image's platform is the host's, like the busybox binary it copies.
host_arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
case $host_arch in
amd64 | x86_64) arch=amd64 ;;
arm64 | aarch64) arch=arm64 ;;
armhf | armel | arm*) arch=arm ;;
i386 | i686) arch=386 ;;
*) arch=$host_arch ;;
esac

# A fixed date for every timestamp in the image, so builds are reproducible.
epoch=${SOURCE_DATE_EPOCH:-946684800} # 2000-01-01T00:00:00Z
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,root}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
	[[ $applet == busybox ]] && continue
	ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
find "$rootfs" -exec touch -h -d "@$epoch" {} +

layout=$work/layout
tag=image
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci config --image "$layout:$tag" --no-history --created "$created" \
	--architecture "$arch" --os linux \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--config.cmd sh --config.workingdir / \
	--config.label "org.opencontainers.image.title=busybox" \
	--config.label "org.opencontainers.image.version=$version"
umoci insert --image "$layout:$tag" --history.created "$created" \
	--history.created_by "hack/images/busybox.sh (busybox-static $version)" "$rootfs/." /
umoci config --image "$layout:$tag" --no-history --created "$created"
umoci gc --layout "$layout"

# Name the manifest with the full reference (umoci tags are plain tag names).
jq --arg ref "$ref" -c \
	'.manifests |= map(.annotations["org.opencontainers.image.ref.name"] = $ref)' \
	"$layout/index.json" >"$work/index.json"
mv "$work/index.json" "$layout/index.json"

find "$layout" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
	--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$layout" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$ref"
