#!/usr/bin/env bash
# make demo: the quickstart example applied end to end against the simulator.
# It starts everything it needs in a scratch directory and stops all of it on
# exit, whether the demo passes or not.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
terraform_bin=${TERRAFORM:-$(command -v terraform || echo /usr/local/bin/terraform)}
work=$(mktemp -d "${TMPDIR:-/tmp}/magnum-demo.XXXXXX")
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the provider and the Magnum simulator"
mkdir -p "$work/bin"
go build -ldflags "-X main.version=demo" -o "$work/bin/terraform-provider-magnum" .
go build -o "$work/bin/magnum-sim" ./cmd/magnum-sim

step "Starting the simulator (Keystone, Magnum, Heat, Nova, Glance, Neutron on 127.0.0.1)"
"$work/bin/magnum-sim" ${SIMFLAGS:-} >"$work/sim.env" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
  grep -q OS_AUTH_URL "$work/sim.env" 2>/dev/null && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; exit 1; }
  sleep 0.1
done
grep -q OS_AUTH_URL "$work/sim.env" || { echo "simulator did not become ready" >&2; exit 1; }
cat "$work/sim.env"
# Which Kubernetes API the bay gets: a real kube-apiserver when
# `make kube-bins` has built one on this machine, else the hand-written one.
# The demo never builds it (about 5 minutes on 2 cores with empty caches).
grep 'Kubernetes bays get' "$work/sim.log" || true
if grep -q 'hand-written' "$work/sim.log"; then
  echo "To give the demo's bay a real kube-apiserver (v1.32.3), run once: make kube-bins"
fi
# shellcheck disable=SC1091
source "$work/sim.env"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/magnumtf/magnum" = "$work/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cp -r examples/quickstart "$work/tf"
tf() { "$terraform_bin" -chdir="$work/tf" "$@"; }

step "terraform apply examples/quickstart"
tf apply -auto-approve -input=false -no-color

step "terraform output"
tf output -no-color

if [ -x "$top/scripts/demo-extra.sh" ]; then
  # Steps that need a bay (kubeconfig, kubectl, resize) live beside this script.
  source "$top/scripts/demo-extra.sh"
fi

step "terraform plan (must be empty)"
set +e
tf plan -detailed-exitcode -input=false -no-color
rc=$?
set -e
if [ "$rc" -ne 0 ]; then echo "plan was not empty (exit $rc)" >&2; exit 1; fi

step "terraform destroy"
tf destroy -auto-approve -input=false -no-color

step "Demo finished: everything applied, planned clean, and destroyed"
if grep -q 'hand-written' "$work/sim.log"; then
  echo "The bay answered with the simulator's hand-written Kubernetes API. For a real kube-apiserver, run once: make kube-bins"
fi
