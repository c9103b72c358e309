#!/usr/bin/env bash
# Bring up a real Keystone 22 and Magnum 15 (Debian bookworm packages) on
# 127.0.0.1, with the project's Go simulator standing in for Heat, Nova,
# Glance, Neutron, Cinder and etcd discovery. See README.md beside this file.
#
#   keystone          http://127.0.0.1:5000/v3   (uwsgi, PostgreSQL)
#   magnum-api        http://127.0.0.1:9511/v1   (+ magnum-conductor, RabbitMQ)
#   stand-ins         heat :8004  nova :8774  glance :9292  neutron :9696
#                     cinder :8776  etcd discovery :8099
#
# Everything lives under $MAGNUM_REAL_STATE (default /tmp/magnum-real);
# down.sh stops exactly the processes recorded in $STATE/run.
#
# Usage: scripts/real-magnum/up.sh          reuse a running stack, else start one
#        FRESH=1 scripts/real-magnum/up.sh  stop the running stack and start afresh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${MAGNUM_REAL_STATE:-/tmp/magnum-real}
PGPORT=55432
PY=/usr/bin/python3 # Debian's python: pyenv's python3 lacks the OpenStack libraries
GO=${GO:-go}
HEAT_CREATE=${HEAT_CREATE:-2s}
HEAT_UPDATE=${HEAT_UPDATE:-2s}
# MAGNUM_CONDUCTORS=N starts N magnum-conductors, each on a host name of its
# own: each runs the status sync for every cluster on the grid of its own
# start, as on an HA control plane.
MAGNUM_CONDUCTORS=${MAGNUM_CONDUCTORS:-1}
PACKAGES="keystone magnum-api magnum-conductor python3-openstackclient python3-magnumclient rabbitmq-server
uwsgi-plugin-python3 python3-psycopg2 postgresql memcached python3-memcache"
PORTS="5000 9511 5672 25672 4369 $PGPORT 11211 8004 8774 9292 9696 8776 8099"

export PATH="/usr/local/go/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

# The daemons started below must not inherit the caller's descriptors: run
# as `flock /tmp/zed-stack.lock make real-magnum-up`, they would keep the
# lock held for as long as the stack runs. 255 is this script.
for fd in $(ls "/proc/$$/fd"); do
	case $fd in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" ;; esac
done

# --- helpers -----------------------------------------------------------------

T0=$(date +%s.%N)
TPREV=$T0
step() {
	local now
	now=$(date +%s.%N)
	awk -v n="$now" -v p="$TPREV" -v s="$T0" -v what="$1" \
		'BEGIN { printf "%-30s %6.1fs  (total %6.1fs)\n", what, n - p, n - s }' | tee -a "$STATE/log/timings.txt"
	TPREV=$now
}

fail() {
	echo "real-magnum: $*" >&2
	for f in "$STATE"/log/*.log "$STATE"/log/*.out "$STATE"/pg/postgres.log; do
		[ -s "$f" ] || continue
		echo "----- tail $f" >&2
		tail -n 25 "$f" >&2
	done
	exit 1
}

# wait_for DESCRIPTION SECONDS COMMAND...: bounded poll, 4 tries a second.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 4; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	fail "timed out after ${secs}s waiting for $what"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_ok() { curl -sf -o /dev/null --max-time 2 "$1"; }

# start NAME CMD...: run a daemon in its own session and record its PID.
# A plain background statement, so $! is the daemon (setsid execs in place).
start() {
	local name=$1
	shift
	setsid "$@" >"$STATE/log/$name.out" 2>&1 </dev/null &
	echo $! >"$STATE/run/$name.pid"
}

token() { # token USER PROJECT
	curl -si --max-time 10 -X POST http://127.0.0.1:5000/v3/auth/tokens -H 'Content-Type: application/json' \
		-d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"'"$1"'","domain":{"id":"default"},"password":"secret"}}},"scope":{"project":{"name":"'"$2"'","domain":{"id":"default"}}}}}' |
		awk -F': ' 'tolower($1)=="x-subject-token" { gsub("\r", "", $2); print $2 }'
}

stack_running() {
	local n
	for n in postgres rabbitmq keystone magnum-conductor magnum-api openstack-services; do
		[ -s "$STATE/run/$n.pid" ] && kill -0 "$(cat "$STATE/run/$n.pid")" 2>/dev/null || return 1
	done
	http_ok http://127.0.0.1:9511/v1/ && http_ok http://127.0.0.1:5000/v3
}

# --- packages (step 1, called below) ----------------------------------------

# install_packages: apt-get install what is missing (needs the network, so
# `--packages-only` runs it before the stack moves into a network namespace).
install_packages() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "real-magnum: installing$missing"
		# Naming installed packages would upgrade them: install only what is
		# missing. No debconf answers are needed (every question defaults to
		# "do not configure"); policy-rc.d keeps postinst from starting daemons.
		made_policy=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod +x /usr/sbin/policy-rc.d
			made_policy=1
		fi
		# shellcheck disable=SC2086
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >"$STATE/log/apt-install.log" 2>&1; then
			if grep -qE 'Unable to locate|404 +Not Found|Failed to fetch' "$STATE/log/apt-install.log"; then
				apt-get update -qq >>"$STATE/log/apt-install.log" 2>&1 || true
				# shellcheck disable=SC2086
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >>"$STATE/log/apt-install.log" 2>&1 ||
					{ [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d; fail "apt-get install failed"; }
			else
				[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
				fail "apt-get install failed"
			fi
		fi
		# An if, not `[ ] &&`: as the function's last command, a false test
		# would be its status, and set -e would end the script, silently,
		# on a machine whose own policy-rc.d was already there (Docker's).
		if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
	fi
}

if [ "${1:-}" = --packages-only ]; then
	mkdir -p "$STATE/log"
	install_packages
	exit 0
fi

# --- 0. reuse or reset -------------------------------------------------------

if [ -z "${FRESH:-}" ] && stack_running; then
	echo "real-magnum: already up under $STATE (FRESH=1 restarts it)"
	exit 0
fi
if [ -d "$STATE/run" ]; then
	MAGNUM_REAL_STATE=$STATE "$HERE/down.sh" || true
fi
rm -rf "$STATE"
mkdir -p "$STATE"/{etc/keystone,etc/magnum,data/magnum-lock,data/magnum-state,log,run,bin}
: >"$STATE/log/timings.txt"

busy=""
for p in $PORTS; do port_open "$p" && busy="$busy $p"; done
if [ -n "$busy" ]; then
	ss -ltnp 2>/dev/null | grep -E ":($(echo $busy | tr ' ' '|'))\b" >&2 || true
	fail "ports already in use:$busy (another real-magnum stack? try scripts/real-magnum/down.sh)"
fi

install_packages
step "packages"

# The stand-ins are this repository's simulator.
(cd "$REPO" && $GO build -o "$STATE/bin/magnum-sim" ./cmd/magnum-sim) >"$STATE/log/go-build.log" 2>&1 || fail "go build ./cmd/magnum-sim failed"
step "go build stand-ins"

# --- 2. PostgreSQL -----------------------------------------------------------
# SQLite does not survive Keystone's and Magnum's concurrent writers
# ("database is locked"), so a real server it is.

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
mkdir -p "$STATE/pg"
chown postgres:postgres "$STATE/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$STATE/pg/data" -A trust -U postgres --no-sync >"$STATE/log/initdb.log" 2>&1 || fail "initdb failed"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STATE/pg/data" -l "$STATE/pg/postgres.log" -w -t 60 start \
	-o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$STATE/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
	>/dev/null || fail "PostgreSQL did not start"
head -n1 "$STATE/pg/data/postmaster.pid" >"$STATE/run/postgres.pid"
psql -q -h 127.0.0.1 -p $PGPORT -U postgres -c "create database keystone" -c "create database magnum" || fail "create database failed"
step "postgresql"

# --- 3. RabbitMQ (magnum-api -> magnum-conductor RPC) ------------------------

mkdir -p "$STATE/rabbitmq"
chown rabbitmq:rabbitmq "$STATE/rabbitmq"
export RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 \
	RABBITMQ_MNESIA_BASE=$STATE/rabbitmq/mnesia RABBITMQ_LOG_BASE=$STATE/rabbitmq/log \
	RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
start rabbitmq /usr/sbin/rabbitmq-server
step "rabbitmq launched"

# --- 4. Keystone -------------------------------------------------------------

# Memcached for Keystone's cache and Magnum's token cache (keystone.conf.in).
start memcached /usr/bin/memcached -u memcache -l 127.0.0.1 -p 11211 -m 64
wait_for "memcached on 11211" 30 port_open 11211

DB_KEYSTONE="postgresql+psycopg2://postgres@127.0.0.1:$PGPORT/keystone"
DB_MAGNUM="postgresql+psycopg2://postgres@127.0.0.1:$PGPORT/magnum"
sed -e "s|@STATE@|$STATE|g" -e "s|@DB@|$DB_KEYSTONE|g" "$HERE/keystone.conf.in" >"$STATE/etc/keystone/keystone.conf"
cat >"$STATE/etc/keystone/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:5000
wsgi-file = /usr/bin/keystone-wsgi-public
env = OS_KEYSTONE_CONFIG_FILES=$STATE/etc/keystone/keystone.conf
master = true
# One thread per process: with several, a request now and then saw the
# roles of another thread's token (an application credential created by a
# member failed with "Could not find role assignment" for admin).
# Eight processes and a deep listen queue: magnum-conductor validates and
# fetches tokens for every cluster it syncs, and with 100 bays beside two
# Terraform runs 4 processes and uwsgi's default queue of 100 dropped its
# connections (ConnectFailure, RemoteDisconnected; clusters CREATE_FAILED).
processes = 8
threads = 1
enable-threads = true
listen = 1024
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
# uwsgi's http-socket closes connections without saying so; clients that
# reuse them (python-requests, Go) then fail with "connection reset".
add-header = Connection: close
pidfile = $STATE/run/keystone.pid
EOF
KM="keystone-manage --config-file $STATE/etc/keystone/keystone.conf"
{
	$KM db_sync &&
		$KM fernet_setup --keystone-user root --keystone-group root &&
		$KM credential_setup --keystone-user root --keystone-group root &&
		$KM bootstrap --bootstrap-password secret --bootstrap-username admin --bootstrap-project-name admin \
			--bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
			--bootstrap-admin-url http://127.0.0.1:5000/v3 --bootstrap-public-url http://127.0.0.1:5000/v3 \
			--bootstrap-internal-url http://127.0.0.1:5000/v3
} >"$STATE/log/keystone-manage.log" 2>&1 || fail "keystone-manage failed"
step "keystone database"
uwsgi --ini "$STATE/etc/keystone/uwsgi.ini" --daemonize2 "$STATE/log/keystone-uwsgi.log" >/dev/null 2>&1 || fail "uwsgi did not start"
wait_for "keystone" 60 http_ok http://127.0.0.1:5000/v3
step "keystone up"
$PY "$HERE/keystone-setup.py" >"$STATE/log/keystone-setup.log" 2>&1 || fail "keystone-setup.py failed"
step "keystone users and catalog"

# --- 5. Magnum ---------------------------------------------------------------

sed -e "s|@STATE@|$STATE|g" -e "s|@DB@|$DB_MAGNUM|g" "$HERE/magnum.conf.in" >"$STATE/etc/magnum/magnum.conf"
# The conductor logs at debug level: its Heat polling is what one reads
# when a bay is stuck.
printf '[DEFAULT]\ndebug = true\nlog_file = %s/log/magnum-conductor.log\n' "$STATE" >"$STATE/etc/magnum/conductor.conf"
# Magnum's alembic migrations only run on MySQL (UPDATE ... INNER JOIN), so
# the schema comes from the models and alembic is stamped at head.
$PY - --config-file "$STATE/etc/magnum/magnum.conf" >"$STATE/log/magnum-schema.log" 2>&1 <<'EOF' || fail "magnum schema failed"
import sys
import magnum.conf
from magnum.db.sqlalchemy import models
from oslo_db.sqlalchemy import enginefacade
magnum.conf.CONF(sys.argv[1:], project="magnum")
models.Base.metadata.create_all(enginefacade.writer.get_engine())
EOF
magnum-db-manage --config-file "$STATE/etc/magnum/magnum.conf" stamp head >>"$STATE/log/magnum-schema.log" 2>&1 || fail "magnum-db-manage stamp failed"
step "magnum schema"

start openstack-services "$STATE/bin/magnum-sim" -openstack-services 127.0.0.1 -heat-create "$HEAT_CREATE" -heat-update "$HEAT_UPDATE" -log
wait_for "rabbitmq on 5672" 90 port_open 5672
step "rabbitmq up"
# epmd was started by our RabbitMQ node (the port was free): stop it too.
epmd=$(ss -ltnpH 'sport = :4369' 2>/dev/null | grep -o 'pid=[0-9]*' | sed -n 1p | cut -d= -f2)
[ -n "$epmd" ] && echo "$epmd" >"$STATE/run/epmd.pid"

start magnum-conductor magnum-conductor --config-file "$STATE/etc/magnum/magnum.conf" --config-file "$STATE/etc/magnum/conductor.conf"
for ((i = 2; i <= MAGNUM_CONDUCTORS; i++)); do
	# A few seconds apart, so that the grids differ as they do between
	# controllers started one after another.
	sleep 3.3
	printf '[DEFAULT]\nhost = conductor%d\ndebug = true\nlog_file = %s/log/magnum-conductor%d.log\n' "$i" "$STATE" "$i" >"$STATE/etc/magnum/conductor$i.conf"
	start "magnum-conductor$i" magnum-conductor --config-file "$STATE/etc/magnum/magnum.conf" --config-file "$STATE/etc/magnum/conductor$i.conf"
done
# magnum-api's own server (werkzeug) handles one request at a time, which
# parallel acceptance tests queue behind; Debian serves it with uwsgi too.
# One thread per process, as for Keystone: eventlet's hub runs in Zed's
# magnum-api, and its green locks cannot be handed between threads.
# With 2 processes of 8 threads, a clean-clone CI run logged "greenlet.error:
# cannot switch to a different thread" (eventlet semaphore.py _do_acquire),
# after which one worker never served again and the other served nothing for
# 100 s, while every request of the Zed suite waited and timed out.
cat >"$STATE/etc/magnum/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:9511
wsgi-file = $HERE/magnum-api-wsgi.py
pyargv = --config-file $STATE/etc/magnum/magnum.conf
master = true
processes = 8
threads = 1
enable-threads = true
listen = 1024
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
add-header = Connection: close
pidfile = $STATE/run/magnum-api.pid
EOF
uwsgi --ini "$STATE/etc/magnum/uwsgi.ini" --daemonize2 "$STATE/log/magnum-api-uwsgi.log" >/dev/null 2>&1 || fail "uwsgi (magnum-api) did not start"
wait_for "magnum-api" 60 http_ok http://127.0.0.1:9511/v1/
wait_for "the stand-ins" 20 port_open 8004
ADMIN_TOKEN=$(token admin admin)
conductor_up() { curl -sf --max-time 5 -H "X-Auth-Token: $ADMIN_TOKEN" http://127.0.0.1:9511/v1/mservices | grep '"state": "up"' >/dev/null; }
wait_for "magnum-conductor to report up" 60 conductor_up
step "magnum up"

for u in admin:admin demo:demo demo2:demo alt:alt; do
	user=${u%%:*} project=${u#*:}
	cat >"$STATE/openrc.$user" <<EOF
export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_INTERFACE=public
export OS_USERNAME=$user OS_PASSWORD=secret OS_PROJECT_NAME=$project OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
EOF
done
# The acceptance suite logs in as the admin to give each test its own
# domain, projects and users.
cp "$STATE/openrc.admin" "$STATE/openrc"
awk -v s="$T0" -v n="$(date +%s.%N)" -v d="$STATE" 'BEGIN { printf "real-magnum: up in %.1fs; source %s/openrc.demo to use it\n", n - s, d }' | tee -a "$STATE/log/timings.txt"
