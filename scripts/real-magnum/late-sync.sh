#!/usr/bin/env bash
# Makes real Magnum 15's status sync run late and shows what a create's
# wait that knows the conductor's grid does about it (BENCHMARKS.md, "Late
# syncs").
#
# Usage: scripts/real-magnum/late-sync.sh PROVIDER_BINARY [LATE_SECONDS]
#
# Needs the zed stack of $MAGNUM_REAL_STATE up with 90 s stack creates
# (HEAT_CREATE=90s MAGNUM_REAL_NETNS=1 scripts/real-magnum/stack zed up). One
# `terraform apply` with PROVIDER_BINARY (dev_overrides) creates a baymodel
# and two bays, the second after the first (depends_on), so that the
# provider process has learnt the conductor's grid from the first bay's
# flip when the second bay's wait, which reads Heat's progress, passes its
# first minute. From then on, until terraform returns, the script stops
# magnum-conductor (SIGSTOP) for LATE_SECONDS (default 1.5) from 0.2 s
# before each of the sync's boundaries, so the sync that flips the second
# bay runs late; then it destroys everything. It prints when the conductor
# saved each bay's CREATE_COMPLETE (its own log, to the millisecond), when
# terraform returned, and the provider's lines about the second bay's last
# polls (TF_LOG_PROVIDER=DEBUG).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
provider=$(realpath "${1:?usage: late-sync.sh PROVIDER_BINARY [LATE_SECONDS]}")
late=${2:-1.5}
STATE=${MAGNUM_REAL_STATE:?set MAGNUM_REAL_STATE to the state directory of the zed stack}
stack() { "$HERE/stack" zed "$@"; }
stack status
conductor=$(cat "$STATE/run/magnum-conductor.pid")
clog=$STATE/log/magnum-conductor.log
TERRAFORM=${TERRAFORM:-/usr/local/bin/terraform}

work=$(mktemp -d)
mkdir "$work/plugins"
cp "$provider" "$work/plugins/terraform-provider-magnum"
cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/magnumtf/magnum" = "$work/plugins"
  }
  direct {}
}
EOF
config() {
	cat >"$work/main.tf" <<EOF
terraform {
  required_providers {
    magnum = { source = "registry.terraform.io/magnumtf/magnum" }
  }
}
provider "magnum" {}
resource "magnum_baymodel" "late" {
  name                = "late-sync"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  master_flavor_id    = "m1.small"
  network_driver      = "flannel"
}
resource "magnum_bay" "first" {
  name        = "late-sync-first"
  baymodel_id = magnum_baymodel.late.id
  node_count  = 1
}
resource "magnum_bay" "second" {
  name        = "late-sync-second"
  baymodel_id = magnum_baymodel.late.id
  node_count  = 1
  depends_on  = [magnum_bay.first]
}
EOF
}
tf() {
	(cd "$work" && stack exec env TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 \
		TF_LOG_PROVIDER=DEBUG TF_LOG_PATH="$work/tf-$1.log" \
		bash -c "source '$STATE/openrc.demo' && '$TERRAFORM' ${*:2}")
}

# boundary: where in the period most of the recent syncs ran (the earliest
# phase among the last twelve, late runs being only ever later).
boundary() {
	grep 'Running periodic task MagnumPeriodicTasks.sync_cluster_status' "$clog" | tail -12 |
		awk '{split($2,a,":"); print (a[3] % 10)}' | sort -n | head -1
}

# until: seconds from now to 0.2 s before the next boundary.
until_next='BEGIN { w = (b - 0.2) - (n % 10); if (w < 0.05) w += 10; if (w < 0.05) w += 10; printf "%.3f", w }'
completes() { grep -c 'updated to CREATE_COMPLETE' "$clog" || true; }

stopper() {
	local b now pause before=$1
	# The first bay's flip, then the second bay's first minute.
	while [ "$(completes)" -le "$before" ]; do sleep 0.5; done
	sleep 60
	b=$(boundary)
	while :; do
		now=$(date +%s.%N)
		pause=$(awk -v n="$now" -v b="$b" "$until_next")
		sleep "$pause"
		kill -STOP "$conductor"
		echo "stopped the conductor at $(date +%T.%3N) for ${late}s" >>"$work/stopper.log"
		sleep "$late"
		kill -CONT "$conductor"
	done
}

cleanup() {
	kill -CONT "$conductor" 2>/dev/null || true
	tf destroy destroy -auto-approve -no-color >/dev/null 2>&1 || echo "late-sync: destroy failed; see $work" >&2
}
trap cleanup EXIT

config
stopper "$(completes)" &
stopper_pid=$!
start=$(date +%T.%3N)
tf apply apply -auto-approve -no-color >/dev/null
end=$(date +%T.%3N)
kill "$stopper_pid"
wait "$stopper_pid" 2>/dev/null || true
kill -CONT "$conductor"
echo "the conductor's boundary: $(boundary) s into the period"
echo "terraform apply ran $start to $end"
cat "$work/stopper.log" 2>/dev/null || echo "the conductor was never stopped"
grep -h 'updated to CREATE_COMPLETE' "$clog" | tail -2 | awk '{print "the conductor saved CREATE_COMPLETE at " $2}'
grep -ho 'late-sync-second.*: \(poll [0-9]* at [^:]*: [A-Z_]*\|progress at [^:]*: [^:]*\|the sync of .*runs late\)' "$work/tf-apply.log" |
	sed 's/^late-sync-second" ([^)]*) to be created: /  /' | tail -8
echo "logs: $work"
