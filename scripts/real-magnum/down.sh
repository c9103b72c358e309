#!/usr/bin/env bash
# Stop what up.sh started, and nothing else: every process is found through
# the PID files up.sh wrote under $MAGNUM_REAL_STATE/run.
set -uo pipefail

STATE=${MAGNUM_REAL_STATE:-/tmp/magnum-real}
RUN=$STATE/run
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

[ -d "$RUN" ] || { echo "real-magnum: nothing recorded under $RUN"; exit 0; }

# stop NAME: SIGTERM the recorded PID, wait up to 15s, then SIGKILL.
stop() {
	local f=$RUN/$1.pid pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		for ((i = 0; i < 60; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			# A killed daemon whose parent is gone lingers as a zombie.
			[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
			sleep 0.25
		done
		kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ] && kill -9 "$pid" 2>/dev/null
		echo "real-magnum: stopped $1 ($pid)"
	fi
	rm -f "$f"
}

stop magnum-api
stop magnum-conductor
for f in "$RUN"/magnum-conductor[0-9]*.pid; do
	[ -e "$f" ] && stop "$(basename "$f" .pid)"
done
stop openstack-services
stop keystone
stop memcached

if [ -s "$RUN/rabbitmq.pid" ]; then
	# rabbitmq-server is a wrapper; the node itself shuts down cleanly
	# only through rabbitmqctl, addressed by the node name up.sh gave it.
	# Only while it runs: rabbitmqctl starts an epmd of its own when none
	# answers, which would then hold port 4369 against the next up.
	kill -0 "$(cat "$RUN/rabbitmq.pid")" 2>/dev/null &&
		RABBITMQ_NODENAME=rabbit@localhost timeout 30 rabbitmqctl -q shutdown >/dev/null 2>&1 && echo "real-magnum: stopped rabbitmq"
	stop rabbitmq
fi
stop epmd

if [ -s "$RUN/postgres.pid" ]; then
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
	if [ -f "$STATE/pg/data/postmaster.pid" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STATE/pg/data" -m fast -w -t 30 stop >/dev/null && echo "real-magnum: stopped postgres"
	fi
	stop postgres
fi
exit 0
