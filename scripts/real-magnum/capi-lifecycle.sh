#!/usr/bin/env bash
# A bay's lifecycle through the real magnum-cluster-api driver of a running
# capi stack (scripts/real-magnum/stack capi up), driven by this provider
# with Terraform: create, the provider's kubeconfig against the bay's
# workload API, an in-place upgrade, a resize (which Debian's driver 0.16.0
# fails: vexxhost/magnum-cluster-api#368, KeyError 'annotations'; the
# provider must report the driver's reason), and destroy. Each step checks
# what a user would see and the script stops at the first surprise.
#
# Usage: MAGNUM_REAL_STATE=... MAGNUM_TRIXIE_ROOT=... scripts/real-magnum/capi-lifecycle.sh
# (the same environment as the stack's up). Terraform is $TERRAFORM or
# terraform on PATH. Takes about 2 minutes on a loaded machine.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STACK="$HERE/stack"
STATE=$("$STACK" capi state)
WORK=$STATE/capi-lifecycle
TERRAFORM=${TERRAFORM:-$(command -v terraform)}
export PATH="/usr/local/go/bin:$PATH"

fail() {
	echo "capi-lifecycle: $*" >&2
	exit 1
}
step() { echo "[capi-lifecycle $(date +%H:%M:%S)] $*"; }

"$STACK" capi status || fail "the capi stack is not up (scripts/real-magnum/stack capi up)"
mkdir -p "$WORK/bin"
(cd "$REPO" && go build -o "$WORK/bin/terraform-provider-magnum" .) || fail "go build of the provider failed"
cp "$HERE/capi/main.tf" "$WORK/"
cp "$HERE/capi/kubecheck.py" "$STATE/bin/"
cat >"$WORK/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "magnumtf/magnum" = "$WORK/bin"
  }
  direct {}
}
TFRC

# tf ARGS...: terraform in the stack's network namespace as the demo user.
tf() {
	"$STACK" capi exec /usr/bin/env -i PATH=/usr/bin:/bin HOME="$HOME" TF_CLI_CONFIG_FILE="$WORK/dev.tfrc" TF_IN_AUTOMATION=1 \
		TF_LOG_PROVIDER="${TF_LOG_PROVIDER:-}" TF_LOG_PATH="${TF_LOG_PATH:-}" \
		/bin/bash -c '. "$1"/openrc.demo && cd "$2" && shift 2 && exec "$@"' _ "$STATE" "$WORK" "$TERRAFORM" "$@"
}
# out: "status stack_id coe_version driver" of the bay.
out() {
	local o v=()
	for o in status stack_id coe_version driver; do
		v+=("$(tf output -raw "$o")")
	done
	echo "${v[*]}"
}
kubecheck() {
	tf output -raw kubeconfig >"$WORK/kubeconfig"
	chmod 600 "$WORK/kubeconfig"
	"$STACK" capi enter python3 "$STATE/bin/kubecheck.py" "$WORK/kubeconfig"
	rm -f "$WORK/kubeconfig"
}

step "create (kube v1.26.11)"
tf apply -auto-approve -no-color -var kube=v1.26.11 >"$WORK/create.log" 2>&1 || { tail -30 "$WORK/create.log"; fail "create failed"; }
read -r status stack coe driver <<<"$(out)"
[ "$status" = CREATE_COMPLETE ] && [ "$coe" = v1.26.11 ] && [ "$driver" = k8s_cluster_api_ubuntu ] &&
	[[ $stack =~ ^kube-[a-z0-9]{5}$ ]] || fail "after create: status=$status stack_id=$stack coe_version=$coe driver=$driver"
step "created: $status $stack $coe $driver"
nodes=$(kubecheck) || fail "the provider's kubeconfig does not reach the workload API"
echo "$nodes"
[ "$(grep -c '^node .* True v1.26.11$' <<<"$nodes")" = 2 ] || fail "want 2 Ready nodes at v1.26.11"

step "upgrade (baymodel_id -> v1.27.4)"
tf apply -auto-approve -no-color -var kube=v1.27.4 >"$WORK/upgrade.log" 2>&1 || { tail -30 "$WORK/upgrade.log"; fail "upgrade failed"; }
read -r status stack2 coe driver <<<"$(out)"
[ "$status" = UPDATE_COMPLETE ] && [ "$coe" = v1.27.4 ] && [ "$stack2" = "$stack" ] ||
	fail "after upgrade: status=$status stack_id=$stack2 coe_version=$coe"
# The driver can report UPDATE_COMPLETE while the workers' MachineDeployment
# is still rolling (seen once in CI: the control-plane node at v1.27.4, the
# worker still at v1.26.11), so the nodes get a bounded minute to follow.
for i in $(seq 1 30); do
	nodes=$(kubecheck) || fail "the provider's kubeconfig does not reach the workload API after the upgrade"
	[ "$(grep -c '^node .* True v1.27.4$' <<<"$nodes")" = 2 ] && break
	[ "$i" = 1 ] && { echo "$nodes"; echo "(UPDATE_COMPLETE before every node rolled; waiting for them)"; }
	sleep 2
done
echo "$nodes"
[ "$(grep -c '^node .* True v1.27.4$' <<<"$nodes")" = 2 ] || fail "want 2 Ready nodes at v1.27.4 within a minute of UPDATE_COMPLETE"

step "resize to 2 workers (the driver fails it)"
if tf apply -auto-approve -no-color -var kube=v1.27.4 -var node_count=2 >"$WORK/resize.log" 2>&1; then
	fail "the resize succeeded: has the driver been fixed (vexxhost/magnum-cluster-api#368)? Then assert success here"
fi
tr -s ' \n' ' ' <"$WORK/resize.log" | grep -q "status UPDATE_FAILED: status_reason: 'annotations'" ||
	{ tail -20 "$WORK/resize.log"; fail "the provider's resize error does not carry the driver's reason"; }
step "resize failed with the driver's reason, as expected"

step "destroy"
tf destroy -auto-approve -no-color -var kube=v1.27.4 -var node_count=2 >"$WORK/destroy.log" 2>&1 || { tail -30 "$WORK/destroy.log"; fail "destroy failed"; }
left=$("$STACK" capi enter /bin/bash -c '. "$1"/openrc.demo && openstack coe cluster list -f value -c name' _ "$STATE")
[ -z "$left" ] || fail "clusters left after destroy: $left"
step "done"
