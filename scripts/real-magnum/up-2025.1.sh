#!/usr/bin/env bash
# Bring up a real Keystone 27 and Magnum 20.0.0 (2025.1) from Debian trixie
# packages, in a trixie chroot (trixie-chroot.sh, cached between runs), with
# every process in a private network, pid, mount, ipc and uts namespace: the
# stack listens on the same loopback ports as the Zed stack of up.sh, which
# may run on the host at the same time, and only commands run in its
# namespace (`stack 2025.1 exec ...`) reach it. The project's Go simulator
# stands in for Heat, Nova, Glance, Neutron, Cinder and etcd discovery.
#
#   keystone     http://127.0.0.1:5000/v3   (uwsgi, PostgreSQL 17)
#   magnum-api   http://127.0.0.1:9511/v1   (uwsgi; + magnum-conductor, RabbitMQ 4)
#   stand-ins    heat :8004 nova :8774 glance :9292 neutron :9696 cinder :8776 discovery :8099
#
# State lives in $MAGNUM_REAL_STATE (default /tmp/magnum-real-2025.1), which
# the namespace bind-mounts at the same path inside the chroot, so configs,
# logs and openrc files read the same from both sides. The namespace's mounts
# live in its own mount table: nothing is mounted on the host.
#
# With MAGNUM_CAPI=1 (scripts/real-magnum/stack capi up) the stack has a
# Cluster API driver too: Debian's magnum-cluster-api 0.16.0, in a chroot of
# its own (/var/cache/magnum-real/trixie-capi, a copy of the trixie chroot
# when that exists, plus the driver's packages), helm on the services' PATH,
# and a management cluster the stand-ins run (internal/sim/capi: a real
# kube-apiserver from `make kube-bins`, Cluster API's CRDs, stand-in Cluster
# API and OpenStack provider controllers) whose kubeconfig Magnum's services
# get in $KUBECONFIG; an Octavia stand-in answers on :9876.
#
# Usage: scripts/real-magnum/stack 2025.1 up   (FRESH=1 restarts a running stack)
#        scripts/real-magnum/stack capi up
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CAPI=${MAGNUM_CAPI:-}
NAME=2025.1
if [ -n "$CAPI" ]; then
	NAME=capi
	STATE=${MAGNUM_REAL_STATE:-/tmp/magnum-real-capi}
	ROOT=${MAGNUM_TRIXIE_ROOT:-/var/cache/magnum-real/trixie-capi}
else
	STATE=${MAGNUM_REAL_STATE:-/tmp/magnum-real-2025.1}
	ROOT=${MAGNUM_TRIXIE_ROOT:-/var/cache/magnum-real/trixie}
fi
GO=${GO:-go}
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

T0=$(date +%s.%N)
TPREV=$T0
step() {
	local now
	now=$(date +%s.%N)
	awk -v n="$now" -v p="$TPREV" -v s="$T0" -v what="$1" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN { printf "%-34s %6.1fs  (total %6.1fs, load %s)\n", what, n - p, n - s, load }' | tee -a "$STATE/log/timings.txt"
	TPREV=$now
}

fail() {
	echo "real-magnum $NAME: $*" >&2
	for f in "$STATE"/log/*.log "$STATE"/log/*.out "$STATE"/pg/postgres.log; do
		[ -s "$f" ] || continue
		echo "----- tail $f" >&2
		tail -n 25 "$f" >&2
	done
	exit 1
}

[ "$(id -u)" = 0 ] || {
	echo "real-magnum $NAME: needs root (chroot, namespaces)" >&2
	exit 1
}

# --- 0. reuse or reset -------------------------------------------------------

ns_alive() {
	local ns
	ns=$(cat "$STATE/run/ns.pid" 2>/dev/null) || return 1
	[ -n "$ns" ] && [ "$(readlink "/proc/$ns/root" 2>/dev/null)" = "$ROOT" ]
}
if [ -z "${FRESH:-}" ] && ns_alive &&
	nsenter -t "$(cat "$STATE/run/ns.pid")" -n curl -sf -o /dev/null --max-time 5 http://127.0.0.1:9511/v1/ &&
	nsenter -t "$(cat "$STATE/run/ns.pid")" -n curl -sf -o /dev/null --max-time 5 http://127.0.0.1:5000/v3; then
	echo "real-magnum $NAME: already up under $STATE (FRESH=1 restarts it)"
	exit 0
fi
if [ -d "$STATE/run" ]; then
	MAGNUM_REAL_STATE=$STATE "$HERE/down-2025.1.sh" || true
fi
rm -rf "$STATE"
mkdir -p "$STATE"/{log,run,bin,etc/keystone,etc/magnum}
: >"$STATE/log/timings.txt"

# --- 1. the chroot (cached) and the stand-ins --------------------------------

if [ -n "$CAPI" ]; then
	# The driver's packages on top of the 2025.1 chroot, copied when it
	# exists rather than built again.
	MAGNUM_TRIXIE_ROOT=$ROOT MAGNUM_TRIXIE_BASE=${MAGNUM_TRIXIE_BASE:-/var/cache/magnum-real/trixie} \
		MAGNUM_TRIXIE_EXTRA="magnum-cluster-api" TIMINGS=$STATE/log/timings.txt "$HERE/trixie-chroot.sh" ||
		fail "building the trixie chroot with magnum-cluster-api failed"
else
	MAGNUM_TRIXIE_ROOT=$ROOT TIMINGS=$STATE/log/timings.txt "$HERE/trixie-chroot.sh" || fail "building the trixie chroot failed"
fi
step "trixie chroot ready ($ROOT)"
(cd "$REPO" && CGO_ENABLED=0 $GO build -o "$STATE/bin/magnum-sim" ./cmd/magnum-sim) >"$STATE/log/go-build.log" 2>&1 ||
	fail "go build ./cmd/magnum-sim failed"
step "go build stand-ins"
if [ -n "$CAPI" ]; then
	# The management cluster's kube-apiserver and etcd, the CRDs and helm,
	# each built once per machine into ~/.cache/terraform-provider-magnum.
	(cd "$REPO" && scripts/kube-bins.sh build) >"$STATE/log/kube-bins.log" 2>&1 || fail "scripts/kube-bins.sh build failed"
	helm=$(cd "$REPO" && scripts/helm-bin.sh build 2>"$STATE/log/helm-bin.log") || fail "scripts/helm-bin.sh build failed"
	crds=$(cd "$REPO" && scripts/capi-crds.sh 2>"$STATE/log/capi-crds.log") || fail "scripts/capi-crds.sh failed"
	mkdir -p "$STATE/bin/kube" "$STATE/capi-crds"
	cp "$(cd "$REPO" && scripts/kube-bins.sh path)"/* "$STATE/bin/kube/"
	cp "$helm" "$STATE/bin/helm"
	cp "$crds"/*.yaml "$STATE/capi-crds/"
	# The simulator's fixtures plus the driver's images (Glance
	# magnum_driver=k8s_cluster_api_ubuntu) and a flavor no host fits.
	python3 - "$REPO/internal/sim/fixtures/default.json" "$HERE/capi-fixtures.json" >"$STATE/etc/fixtures.json" <<'PY' ||
import json, sys
fx = json.load(open(sys.argv[1]))
for k, v in json.load(open(sys.argv[2])).items():
    fx[k] = fx.get(k, []) + v
json.dump(fx, sys.stdout, indent=1)
PY
		fail "merging the capi fixtures failed"
	step "kube-bins, helm and Cluster API CRDs"
fi
cp "$HERE/inside-2025.1.sh" "$HERE/keystone-setup.py" "$HERE/magnum-api-wsgi.py" "$STATE/bin/"
for f in keystone.conf.in magnum.conf.in; do cp "$HERE/$f" "$STATE/etc/"; done

# --- 2. the namespace --------------------------------------------------------
# PID 1 is a sleep loop in the chroot that ignores TERM and INT; down kills
# it with SIGKILL, and with it every process of the namespace. setsid keeps
# the namespace out of the caller's session and its signals.

mkdir -p "$ROOT$STATE"
setsid unshare --net --pid --mount --ipc --uts --fork --propagation private /bin/sh -c '
	R=$1 S=$2
	mount -t proc proc "$R/proc" && mount -t sysfs sys "$R/sys" && mount -t tmpfs tmpfs "$R/dev/shm" &&
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts" && mount --bind "$S" "$R$S" || exit 1
	ip link set lo up && hostname magnum-2025-1 || exit 1
	exec chroot "$R" /bin/bash -c "trap \"\" TERM INT; while :; do sleep 3600 & wait; done"' _ "$ROOT" "$STATE" \
	>"$STATE/log/namespace.out" 2>&1 </dev/null &
echo $! >"$STATE/run/unshare.pid"
NS=""
for _ in $(seq 1 100); do
	NS=$(cat "/proc/$!/task/$!/children" 2>/dev/null | awk '{print $1}')
	[ -n "$NS" ] && break
	sleep 0.05
done
[ -n "$NS" ] || fail "the namespace did not start"
# nsenter -r takes PID 1's root as it is at that instant: wait for the chroot.
for _ in $(seq 1 200); do
	[ "$(readlink "/proc/$NS/root" 2>/dev/null)" = "$ROOT" ] && break
	sleep 0.05
done
[ "$(readlink "/proc/$NS/root" 2>/dev/null)" = "$ROOT" ] || fail "the namespace's init never entered the chroot"
echo "$NS" >"$STATE/run/ns.pid"
step "namespace up (init pid $NS)"

# --- 3. the services, inside -------------------------------------------------

nsenter -t "$NS" -n -m -p -i -u -r -w /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	STATE="$STATE" T0="$T0" HEAT_CREATE="${HEAT_CREATE:-2s}" CAPI="$CAPI" /bin/bash "$STATE/bin/inside-2025.1.sh" ||
	fail "the services did not come up"
awk -v s="$T0" -v n="$(date +%s.%N)" -v d="$STATE" -v name="$NAME" \
	'BEGIN { printf "real-magnum %s: up in %.1fs; run commands in it with scripts/real-magnum/stack %s exec CMD (openrc: %s/openrc.demo)\n", name, n - s, name, d }' |
	tee -a "$STATE/log/timings.txt"
