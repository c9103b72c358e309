#!/usr/bin/env bash
# The same `openstack coe` commands against a real Magnum of
# scripts/real-magnum and against the simulator's profile of the same
# release; their normalized outputs must match.
#
# Usage: scripts/real-magnum/cli-diff.sh [zed|2025.1]   (the stack must be up)
#
# zed uses the host's openstack CLI (bookworm's python3-magnumclient). 2025.1
# uses the chroot's (trixie's magnumclient 4.8.1) inside the stack's
# namespace, and runs the simulator in that namespace's network, so one
# client talks to both clouds.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RELEASE=${1:-zed}
STACK="$HERE/stack $RELEASE"
STATE=$($STACK state)
PY=/usr/bin/python3
export PATH="/usr/local/go/bin:$PATH"
# magnumclient's `cluster config` dies with KeyError when $SHELL is unset.
export SHELL=${SHELL:-/bin/bash}

[ -f "$STATE/openrc.demo" ] && $STACK exec curl -sf -o /dev/null --max-time 5 http://127.0.0.1:9511/v1/ ||
	{ echo "cli-diff: the $RELEASE stack is not up (scripts/real-magnum/stack $RELEASE up)" >&2; exit 1; }

if [ "$RELEASE" = zed ]; then
	[ -x /usr/bin/openstack ] || { echo "cli-diff: /usr/bin/openstack is missing (apt-get install python3-openstackclient python3-magnumclient)" >&2; exit 1; }
	# The host's CLI, where the stack's 127.0.0.1 is (its own network
	# namespace with MAGNUM_REAL_NETNS=1).
	OPENSTACK="$STACK exec /usr/bin/openstack"
	work=$(mktemp -d)
else
	# Under the state directory, which the chroot sees at the same path:
	# `cluster config --dir` writes there from inside.
	mkdir -p "$STATE/tmp"
	work=$(mktemp -d -p "$STATE/tmp")
	OPENSTACK=$work/openstack
	printf '#!/bin/sh\n# the chroot'"'"'s openstack CLI, in the stack'"'"'s namespaces, with the caller'"'"'s OS_* settings\nexec %s enter /usr/bin/env $(env | grep "^OS_") SHELL=/bin/bash /usr/bin/openstack "$@"\n' \
		"$STACK" >"$OPENSTACK"
	chmod +x "$OPENSTACK"
fi
sim_pid=""
pending=""
cleanup() {
	# A run that stopped half-way leaves its cluster and template on the
	# real cloud: remove them (best effort, bounded).
	if [ -n "$pending" ]; then
		session "$STATE/openrc.demo" $OPENSTACK coe cluster delete "cli-c-$run" >/dev/null 2>&1 &&
			wait_status "$STATE/openrc.demo" "cli-c-$run" gone 2>/dev/null
		session "$STATE/openrc.demo" $OPENSTACK coe cluster template delete "cli-ct-$run" >/dev/null 2>&1 || true
	fi
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	if [ -n "${CLI_DIFF_KEEP:-}" ]; then echo "cli-diff: outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

(cd "$REPO" && go build -o "$work/magnum-sim" ./cmd/magnum-sim)
$STACK exec "$work/magnum-sim" -profile "$RELEASE" -heat-create 1s -heat-update 1s -heat-delete 1s >"$work/sim.env" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
	[ "$(wc -l <"$work/sim.env")" -ge 9 ] && break
	sleep 0.1
done

# session TARGET CMD...: run CMD with TARGET's OS_* only (for 2025.1, in the
# stack's network, where the simulator listens too).
session() {
	local env_file=$1
	shift
	(
		for v in $(env | grep -o '^OS_[A-Z_]*'); do unset "$v"; done
		# shellcheck disable=SC1090
		. "$env_file"
		"$@"
	)
}

# wait_status TARGET CLUSTER STATUS|gone: bounded to 3 minutes (the real
# conductor polls Heat every 10 seconds).
wait_status() {
	local i st
	for ((i = 0; i < 90; i++)); do
		if st=$(session "$1" $OPENSTACK coe cluster show "$2" -f value -c status 2>/dev/null); then
			[ "$st" = "$3" ] && return 0
			case $st in *FAILED) echo "cli-diff: $2 is $st" >&2; return 1 ;; esac
		elif [ "$3" = gone ]; then
			return 0
		fi
		sleep 2
	done
	echo "cli-diff: $2 never reached $3" >&2
	return 1
}

run=$(date +%H%M%S)
# play TARGET OUTDIR: the command sequence; each step's stdout, stderr and
# exit status go to OUTDIR/NN-name.
play() {
	local env=$1 out=$2 n=0 ct=cli-ct-$run c=cli-c-$run
	mkdir -p "$out"
	step() {
		local name=$1
		shift
		n=$((n + 1))
		local f
		f=$(printf '%s/%02d-%s' "$out" "$n" "$name")
		set +e
		session "$env" "$@" >"$f.out" 2>"$f.err"
		echo $? >"$f.rc"
		set -e
	}
	step template-create $OPENSTACK coe cluster template create "$ct" --coe kubernetes --image fedora-coreos-35 \
		--keypair testkey --external-network public --flavor m1.small --master-flavor m1.small \
		--docker-volume-size 5 --network-driver flannel --labels kube_tag=v1.23.3-rancher1 -f json
	step template-show $OPENSTACK coe cluster template show "$ct" -f json
	step template-show-missing $OPENSTACK coe cluster template show no-such-template -f json
	step template-create-bad-image $OPENSTACK coe cluster template create "$ct-x" --coe kubernetes --image no-such-image -f json
	# By the template's UUID: Magnum 18 to 21 cannot create a cluster from
	# a template's name at 1.10 and later (404; fixed in 22.0, a950ce71).
	local ctid
	ctid=$(session "$env" $OPENSTACK coe cluster template show "$ct" -f value -c uuid 2>/dev/null || true)
	step cluster-create $OPENSTACK coe cluster create "$c" --cluster-template "${ctid:-$ct}" --node-count 1
	wait_status "$env" "$c" CREATE_COMPLETE
	step cluster-show $OPENSTACK coe cluster show "$c" -f json
	step cluster-list $OPENSTACK coe cluster list -f json
	step cluster-resize $OPENSTACK coe cluster resize "$c" 2
	wait_status "$env" "$c" UPDATE_COMPLETE
	step cluster-show-resized $OPENSTACK coe cluster show "$c" -f json
	mkdir -p "$out/kube"
	step cluster-config $OPENSTACK coe cluster config "$c" --dir "$out/kube" --force
	cp "$out/kube/config" "$out/$(printf '%02d' $((n)))-kubeconfig.yaml" 2>/dev/null || true
	step template-delete-in-use $OPENSTACK coe cluster template delete "$ct"
	step cluster-delete $OPENSTACK coe cluster delete "$c"
	wait_status "$env" "$c" gone
	step cluster-show-deleted $OPENSTACK coe cluster show "$c" -f json
	step template-delete $OPENSTACK coe cluster template delete "$ct"
}

pending=1
play "$STATE/openrc.demo" "$work/real" &
real_pid=$!
play "$work/sim.env" "$work/sim"
wait "$real_pid"
pending=""

# Normalize and compare: identifiers, times, request ids, hosts and ports,
# certificates and keys differ by nature; everything else must match.
$PY - "$work/real" "$work/sim" "$run" <<'EOF'
import json, os, re, sys

real_dir, sim_dir, run = sys.argv[1:4]
VOLATILE = {"uuid", "id", "created_at", "updated_at", "project_id", "user_id", "stack_id", "discovery_url",
            "links", "cluster_template_id"}
# Known differences, each with its reason.
KNOWN = {
    # Real Magnum's health check cannot reach the stand-in's api_address.
    ("cluster-show-resized", "health_status"),
    ("cluster-show", "health_status"),
    ("cluster-list", "health_status"),
}

def norm_str(s):
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", s)
    s = re.sub(r"\breq-<uuid>", "req-<id>", s)
    s = re.sub(r"(https?|tcp)://127\.0\.0\.1(:\d+)?(/container-infra|/identity)?", r"\1://<host>", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "<time>", s)
    s = re.sub(r"(certificate-authority-data|client-certificate-data|client-key-data): \S+", r"\1: <pem>", s)
    s = re.sub(r"/tmp/[^\s'\"]+", "<tmp>", s)
    return s

def norm(v):
    if isinstance(v, dict):
        return {k: ("<volatile>" if k in VOLATILE else norm(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v if not (isinstance(x, dict) and "name" in x and run not in str(x["name"]))]
    if isinstance(v, str):
        return norm_str(v)
    return v

def load(d, f):
    p = os.path.join(d, f)
    if not os.path.exists(p):
        return None
    text = open(p).read()
    # magnumclient 4.8.1 (trixie) prints "Request to create cluster template
    # X accepted" on stdout before the JSON of `template create -f json`.
    if re.match(r"Request to \S+ .* accepted\n[{\[]", text):
        text = text.split("\n", 1)[1]
    try:
        return norm(json.loads(text))
    except ValueError:
        return norm_str(text).strip()

bad = 0
# Both clouds must have got there for a match to mean anything. (magnumclient's
# delete reports a refusal on stderr and still exits 0.)
WANT_RC = {"template-create": 0, "template-show": 0, "template-show-missing": 1, "template-create-bad-image": 1,
           "cluster-create": 0, "cluster-show": 0, "cluster-resize": 0, "cluster-show-resized": 0, "cluster-config": 0,
           "template-delete-in-use": 0, "cluster-delete": 0, "cluster-show-deleted": 1, "template-delete": 0}
for d, label in ((real_dir, "real"), (sim_dir, "simulator")):
    for f in os.listdir(d):
        if not f.endswith(".rc"):
            continue
        step = re.sub(r"^\d+-", "", f[:-3])
        rc = int(open(os.path.join(d, f)).read().strip() or "-1")
        want = WANT_RC.get(step)
        if want is not None and (rc == 0) != (want == 0):
            print(f"cli-diff: {label}: {step} exited {rc}, want {'0' if want == 0 else 'non-zero'}: "
                  + open(os.path.join(d, f[:-3] + ".err")).read().strip()[:300])
            bad += 1
for f in sorted(os.listdir(real_dir)):
    if not os.path.isfile(os.path.join(real_dir, f)):
        continue
    step = re.sub(r"^\d+-", "", f.rsplit(".", 1)[0])
    a, b = load(real_dir, f), load(sim_dir, f)
    if a == b:
        continue
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        diffs = [k for k in keys if a.get(k, "(none)") != b.get(k, "(none)") and (step, k) not in KNOWN]
        for k in diffs:
            print(f"cli-diff: {f} {k}: real {a.get(k, '(none)')!r}, simulator {b.get(k, '(none)')!r}")
        bad += len(diffs)
        continue
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        diffs = [(i, k) for i, (x, y) in enumerate(zip(a, b)) if isinstance(x, dict) and isinstance(y, dict)
                 for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k) and (step, k) not in KNOWN]
        for i, k in diffs:
            print(f"cli-diff: {f}[{i}] {k}: real {a[i].get(k)!r}, simulator {b[i].get(k)!r}")
        bad += len(diffs)
        if diffs or a == b or all(isinstance(x, dict) for x in a):
            continue
    print(f"cli-diff: {f}:\n  real:      {a!r}\n  simulator: {b!r}")
    bad += 1
print(f"cli-diff: {len(os.listdir(real_dir))} files compared, {bad} unexplained differences")
sys.exit(1 if bad else 0)
EOF
