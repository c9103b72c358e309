#!/bin/bash
# The inside half of up-2025.1.sh: runs in the trixie chroot, in the stack's
# namespaces, and starts PostgreSQL 17, RabbitMQ, Keystone 27 (uwsgi),
# Magnum 20 (uwsgi + conductor) and the Go stand-ins. $STATE is the state
# directory (bind-mounted at the same path as on the host), $T0 the start
# time for the timings. With CAPI=1 the stand-ins also run the Cluster API
# management cluster and Octavia, and Magnum's services get its kubeconfig
# and helm.
set -euo pipefail

: "${STATE:?}" "${T0:?}"
HEAT_CREATE=${HEAT_CREATE:-2s}
CAPI=${CAPI:-}
PGPORT=5432
KUBECONFIG_CAPI=$STATE/etc/capi/kubeconfig

TPREV=$(date +%s.%N)
step() {
	local now
	now=$(date +%s.%N)
	awk -v n="$now" -v p="$TPREV" -v s="$T0" -v what="$1" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN { printf "%-34s %6.1fs  (total %6.1fs, load %s)\n", what, n - p, n - s, load }' | tee -a "$STATE/log/timings.txt"
	TPREV=$now
}
fail() {
	echo "real-magnum 2025.1 (inside): $*" >&2
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
http_ok() { curl -sf -o /dev/null --max-time 3 "$1"; }
# start NAME CMD...: a daemon in its own session, its PID recorded.
start() {
	local name=$1
	shift
	setsid "$@" >"$STATE/log/$name.out" 2>&1 </dev/null &
	echo $! >"$STATE/run/$name.pid"
}

mkdir -p "$STATE"/{data/magnum-lock,data/magnum-state,pg,rabbitmq}

# --- PostgreSQL 17 -----------------------------------------------------------
# SQLite locks under Keystone's and Magnum's concurrent writers.
PGBIN=/usr/lib/postgresql/17/bin
chown postgres:postgres "$STATE/pg"
runuser -u postgres -- $PGBIN/initdb -D "$STATE/pg/data" -A trust -U postgres --no-sync >"$STATE/log/initdb.log" 2>&1 || fail "initdb failed"
runuser -u postgres -- $PGBIN/pg_ctl -D "$STATE/pg/data" -l "$STATE/pg/postgres.log" -w -t 60 start \
	-o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$STATE/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
	>/dev/null || fail "PostgreSQL did not start"
psql -q -h 127.0.0.1 -p $PGPORT -U postgres -c "create database keystone" -c "create database magnum" || fail "create database failed"
step "postgresql 17"

# --- RabbitMQ (magnum-api -> magnum-conductor RPC), started now, waited later
chown rabbitmq:rabbitmq "$STATE/rabbitmq"
export RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 \
	RABBITMQ_MNESIA_BASE=$STATE/rabbitmq/mnesia RABBITMQ_LOG_BASE=$STATE/rabbitmq/log
start rabbitmq /usr/sbin/rabbitmq-server
step "rabbitmq launched"

# --- memcached: Keystone's cache and Magnum's token cache (keystone.conf.in)
start memcached /usr/bin/memcached -u memcache -l 127.0.0.1 -p 11211 -m 64
wait_for "memcached on 11211" 30 port_open 11211

# --- Keystone 27 -------------------------------------------------------------
# The Zed stack's configuration works unchanged (see README.md).
DB=postgresql+psycopg2://postgres@127.0.0.1:$PGPORT
sed -e "s|@STATE@|$STATE|g" -e "s|@DB@|$DB/keystone|g" "$STATE/etc/keystone.conf.in" >"$STATE/etc/keystone/keystone.conf"
cat >"$STATE/etc/keystone/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:5000
wsgi-file = /usr/bin/keystone-wsgi-public
env = OS_KEYSTONE_CONFIG_FILES=$STATE/etc/keystone/keystone.conf
master = true
# One thread per process, as for Zed: with threads a request could see the
# roles of another thread's token.
# Eight processes and a deep listen queue: magnum-conductor validates and
# fetches tokens for every cluster it syncs, and with 100 bays beside two
# Terraform runs 4 processes and uwsgi's default queue of 100 dropped its
# connections (ConnectFailure, RemoteDisconnected; clusters CREATE_FAILED).
processes = 8
threads = 1
listen = 1024
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
# uwsgi's http-socket closes connections without saying so.
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
uwsgi --ini "$STATE/etc/keystone/uwsgi.ini" --daemonize2 "$STATE/log/keystone-uwsgi.log" >/dev/null 2>&1 || fail "keystone uwsgi did not start"
wait_for keystone 90 http_ok http://127.0.0.1:5000/v3
step "keystone up"
OCTAVIA=$CAPI python3 "$STATE/bin/keystone-setup.py" >"$STATE/log/keystone-setup.log" 2>&1 || fail "keystone-setup.py failed"
step "keystone users and catalog"

# --- Magnum 20 ---------------------------------------------------------------
sed -e "s|@STATE@|$STATE|g" -e "s|@DB@|$DB/magnum|g" "$STATE/etc/magnum.conf.in" >"$STATE/etc/magnum/magnum.conf"
printf '[DEFAULT]\ndebug = true\nlog_file = %s/log/magnum-conductor.log\n' "$STATE" >"$STATE/etc/magnum/conductor.conf"
# Magnum 20's alembic migrations are still MySQL-only (UPDATE ... INNER
# JOIN): the schema comes from the models, and alembic is stamped at head.
python3 - --config-file "$STATE/etc/magnum/magnum.conf" >"$STATE/log/magnum-schema.log" 2>&1 <<'EOF' || fail "magnum schema failed"
import sys
import magnum.conf
from magnum.db.sqlalchemy import models
from oslo_db.sqlalchemy import enginefacade
magnum.conf.CONF(sys.argv[1:], project="magnum")
models.Base.metadata.create_all(enginefacade.writer.get_engine())
EOF
magnum-db-manage --config-file "$STATE/etc/magnum/magnum.conf" stamp head >>"$STATE/log/magnum-schema.log" 2>&1 || fail "magnum-db-manage stamp failed"
step "magnum schema"

standin_args=()
if [ -n "$CAPI" ]; then
	standin_args=(-capi-kubeconfig "$KUBECONFIG_CAPI" -capi-crds "$STATE/capi-crds" -kube-bins "$STATE/bin/kube" -capi-audit-dir "$STATE/log/capi-audit" -fixtures "$STATE/etc/fixtures.json")
fi
# Whatever the stand-ins write (the management cluster's etcd, say) goes
# with the state directory.
mkdir -p "$STATE/tmp"
TMPDIR=$STATE/tmp start openstack-services "$STATE/bin/magnum-sim" -openstack-services 127.0.0.1 -heat-create "$HEAT_CREATE" -log "${standin_args[@]}"
wait_for "rabbitmq on 5672" 180 port_open 5672
step "rabbitmq up"
if [ -n "$CAPI" ]; then
	# magnum-cluster-api reads the kubeconfig when Magnum loads its driver
	# (pykube's KubeConfig.from_env: $KUBECONFIG), and runs helm.
	wait_for "the Cluster API management cluster" 300 test -s "$KUBECONFIG_CAPI"
	export KUBECONFIG=$KUBECONFIG_CAPI PATH=$STATE/bin:$PATH
	step "capi management cluster up"
fi
start magnum-conductor magnum-conductor --config-file "$STATE/etc/magnum/magnum.conf" --config-file "$STATE/etc/magnum/conductor.conf"
cat >"$STATE/etc/magnum/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:9511
wsgi-file = $STATE/bin/magnum-api-wsgi.py
pyargv = --config-file $STATE/etc/magnum/magnum.conf
master = true
processes = 2
threads = 8
enable-threads = true
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
add-header = Connection: close
pidfile = $STATE/run/magnum-api.pid
EOF
if [ -n "$CAPI" ]; then
	printf 'env = KUBECONFIG=%s\nenv = PATH=%s\n' "$KUBECONFIG" "$PATH" >>"$STATE/etc/magnum/uwsgi.ini"
fi
uwsgi --ini "$STATE/etc/magnum/uwsgi.ini" --daemonize2 "$STATE/log/magnum-api-uwsgi.log" >/dev/null 2>&1 || fail "magnum-api uwsgi did not start"
wait_for magnum-api 90 http_ok http://127.0.0.1:9511/v1/
wait_for "the stand-ins" 30 port_open 8004
token=$(curl -si --max-time 10 -X POST http://127.0.0.1:5000/v3/auth/tokens -H 'Content-Type: application/json' \
	-d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"secret"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' |
	awk -F': ' 'tolower($1)=="x-subject-token" { gsub("\r", "", $2); print $2 }')
conductor_up() { curl -sf --max-time 5 -H "X-Auth-Token: $token" http://127.0.0.1:9511/v1/mservices | grep '"state": "up"' >/dev/null; }
wait_for "magnum-conductor to report up" 120 conductor_up
step "magnum up"

for u in admin:admin demo:demo demo2:demo alt:alt; do
	user=${u%%:*} project=${u#*:}
	cat >"$STATE/openrc.$user" <<EOF
export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_INTERFACE=public
export OS_USERNAME=$user OS_PASSWORD=secret OS_PROJECT_NAME=$project OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
EOF
done
cp "$STATE/openrc.admin" "$STATE/openrc"
