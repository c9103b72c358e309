#!/usr/bin/env bash
# Stop what up-2025.1.sh started, and nothing else: PostgreSQL cleanly, then
# SIGKILL to the namespace's init (recorded in $STATE/run/ns.pid, and checked
# to be rooted in the chroot), which makes the kernel kill every process of
# the namespace. Its mounts lived in its own mount table and go with it; the
# script then checks that the host has none under the chroot.
set -uo pipefail

if [ -n "${MAGNUM_CAPI:-}" ]; then
	STATE=${MAGNUM_REAL_STATE:-/tmp/magnum-real-capi}
	ROOT=${MAGNUM_TRIXIE_ROOT:-/var/cache/magnum-real/trixie-capi}
else
	STATE=${MAGNUM_REAL_STATE:-/tmp/magnum-real-2025.1}
	ROOT=${MAGNUM_TRIXIE_ROOT:-/var/cache/magnum-real/trixie}
fi
RUN=$STATE/run
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

[ -s "$RUN/ns.pid" ] || {
	echo "real-magnum 2025.1: nothing recorded under $RUN"
	exit 0
}
NS=$(cat "$RUN/ns.pid")
UN=$(cat "$RUN/unshare.pid" 2>/dev/null || true)
if [ -n "$NS" ] && [ "$(readlink "/proc/$NS/root" 2>/dev/null)" = "$ROOT" ]; then
	timeout 30 nsenter -t "$NS" -n -m -p -i -u -r -w runuser -u postgres -- \
		/usr/lib/postgresql/17/bin/pg_ctl -D "$STATE/pg/data" -m fast -w -t 20 stop >/dev/null 2>&1 &&
		echo "real-magnum 2025.1: stopped postgres"
	kill -KILL "$NS" && echo "real-magnum 2025.1: killed the namespace (init $NS) and every process in it"
	for _ in $(seq 1 80); do
		[ -n "$UN" ] && kill -0 "$UN" 2>/dev/null || break
		sleep 0.25
	done
else
	echo "real-magnum 2025.1: the namespace recorded ($NS) is gone already"
fi
rm -f "$RUN/ns.pid" "$RUN/unshare.pid"
if grep -F " $ROOT" /proc/self/mounts >/dev/null; then
	echo "real-magnum 2025.1: mounts left on the host under $ROOT:" >&2
	grep -F " $ROOT" /proc/self/mounts >&2
	exit 1
fi
exit 0
