#!/usr/bin/env bash
# Build, or reuse, the Debian trixie chroot that real Magnum 20.0.0 (2025.1)
# and Keystone 27 run from: `debootstrap --variant=minbase`, then only the
# packages the stack needs. The chroot is cached at $MAGNUM_TRIXIE_ROOT
# (default /var/cache/magnum-real/trixie) and reused by every later run;
# this script does nothing but check when it is complete.
#
# Restart-safe: debootstrap writes into $ROOT.tmp, renamed only when done, and
# the package install records what it installed in $ROOT/.magnum-real-packages
# only when apt-get succeeded, so an interrupted build resumes or starts over.
#
# Every command in the chroot gets private /proc, /sys, /dev/pts and /dev/shm
# mounts in a throwaway mount namespace: nothing is left mounted on the host.
#
# MAGNUM_TRIXIE_EXTRA adds packages (the capi stack's magnum-cluster-api);
# MAGNUM_TRIXIE_BASE names a complete chroot to copy instead of running
# debootstrap, so the capi chroot starts as a copy of the 2025.1 one.
#
# Usage: scripts/real-magnum/trixie-chroot.sh   (root; timings in $TIMINGS)
set -euo pipefail

ROOT=${MAGNUM_TRIXIE_ROOT:-/var/cache/magnum-real/trixie}
MIRROR=${MAGNUM_TRIXIE_MIRROR:-http://deb.debian.org/debian}
TIMINGS=${TIMINGS:-/dev/null}
# Keystone 27, Magnum 20, the clients the CLI check uses, PostgreSQL 17 and
# RabbitMQ 4. The Cluster API driver packages stay out: without a management
# cluster they break every template create (see README.md).
PACKAGES="keystone magnum-api magnum-conductor python3-magnumclient python3-openstackclient rabbitmq-server
uwsgi-plugin-python3 python3-psycopg2 postgresql-17 curl memcached python3-memcache ${MAGNUM_TRIXIE_EXTRA:-}"
BASE=${MAGNUM_TRIXIE_BASE:-}
MARK=$ROOT/.magnum-real-packages

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

T0=$(date +%s.%N)
TPREV=$T0
step() {
	local now
	now=$(date +%s.%N)
	awk -v n="$now" -v p="$TPREV" -v s="$T0" -v what="$1" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN { printf "%-34s %6.1fs  (total %6.1fs, load %s)\n", what, n - p, n - s, load }' | tee -a "$TIMINGS"
	TPREV=$now
}

# in_chroot CMD...: run CMD in the chroot with private kernel mounts.
in_chroot() {
	unshare --mount --propagation private /bin/sh -c '
		R=$1; shift
		mount -t proc proc "$R/proc" && mount -t sysfs sys "$R/sys" && mount -t tmpfs tmpfs "$R/dev/shm" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts" &&
		exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
			DEBIAN_FRONTEND=noninteractive "$@"' _ "$ROOT" "$@"
}

[ "$(id -u)" = 0 ] || {
	echo "trixie-chroot: needs root (debootstrap, chroot, mount namespaces)" >&2
	exit 1
}

if [ -f "$MARK" ] && [ "$(cat "$MARK")" = "$(echo $PACKAGES)" ]; then
	exit 0
fi

if ! command -v debootstrap >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1 || {
		apt-get update -qq >/dev/null 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
	}
	step "apt-get install debootstrap (host)"
fi
for t in debootstrap unshare chroot; do
	command -v $t >/dev/null || {
		echo "trixie-chroot: $t missing on the host" >&2
		exit 1
	}
done

LOG=$(dirname "$ROOT")/build${MAGNUM_TRIXIE_EXTRA:+-$(basename "$ROOT")}.log
mkdir -p "$(dirname "$ROOT")"

if [ ! -x "$ROOT/usr/bin/apt-get" ] && [ -n "$BASE" ] && [ -f "$BASE/.magnum-real-packages" ]; then
	rm -rf "$ROOT.tmp"
	cp -a --reflink=auto "$BASE" "$ROOT.tmp"
	rm -rf "$ROOT.tmp/tmp/"* "$ROOT.tmp/.magnum-real-packages"
	rm -rf "$ROOT"
	mv "$ROOT.tmp" "$ROOT"
	step "copied $BASE"
fi
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
	rm -rf "$ROOT.tmp"
	debootstrap --variant=minbase trixie "$ROOT.tmp" "$MIRROR" >"$LOG" 2>&1 || {
		tail -n 20 "$LOG" >&2
		exit 1
	}
	rm -rf "$ROOT"
	mv "$ROOT.tmp" "$ROOT"
	rm -f "$ROOT"/var/cache/apt/archives/*.deb
	step "debootstrap trixie minbase"
fi

echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" >"$ROOT/etc/apt/sources.list"
# Maintainer scripts start no daemon; postgresql-common creates no cluster
# (the stack runs initdb itself); dpkg skips fsync (the chroot is a cache).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
mkdir -p "$ROOT/etc/postgresql-common" "$ROOT/etc/dpkg/dpkg.cfg.d"
echo 'create_main_cluster = false' >"$ROOT/etc/postgresql-common/createcluster.conf"
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/unsafe-io"
[ -s "$ROOT/etc/resolv.conf" ] || cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# Finish an install an earlier run was interrupted in, then add what is missing.
in_chroot dpkg --configure -a >>"$LOG" 2>&1 || true
in_chroot apt-get update -q >>"$LOG" 2>&1 || {
	tail -n 20 "$LOG" >&2
	exit 1
}
step "apt-get update (chroot)"
# shellcheck disable=SC2086
in_chroot apt-get install -y -q --no-install-recommends --download-only $PACKAGES >>"$LOG" 2>&1 || {
	tail -n 30 "$LOG" >&2
	exit 1
}
step "apt download ($(grep -o 'Need to get [^ ]* [kMG]*B' "$LOG" | tail -n 1 | cut -d' ' -f4-))"
# shellcheck disable=SC2086
in_chroot apt-get install -y -q --no-install-recommends $PACKAGES >>"$LOG" 2>&1 || {
	tail -n 30 "$LOG" >&2
	exit 1
}
rm -f "$ROOT"/var/cache/apt/archives/*.deb
step "apt install ($(grep -c '^Setting up' "$LOG") packages)"
echo $PACKAGES >"$MARK"
