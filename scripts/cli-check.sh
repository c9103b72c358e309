#!/usr/bin/env bash
# Drive the simulator with Debian's OpenStack CLI (python3-openstackclient +
# python3-magnumclient) to prove real clients accept it. Skips when the CLI
# is not installed. Usage: scripts/cli-check.sh [profile]
set -euo pipefail

OPENSTACK=${OPENSTACK:-/usr/bin/openstack}
if [[ ! -x $OPENSTACK ]]; then
  echo "cli-check: SKIP ($OPENSTACK not installed; apt-get install python3-openstackclient python3-magnumclient)"
  exit 0
fi

cd "$(dirname "$0")/.."
work=$(mktemp -d)
bin=$work/magnum-sim
go build -o "$bin" ./cmd/magnum-sim

profile=${1:-zed}
# The seed's Atomic image only has a driver in zed; later releases dropped it.
case $profile in
  zed) image=fedora-21-atomic-5 distro_want=fedora-atomic netdrv=flannel ;;
  2024.1) image=fedora-coreos-35 distro_want=fedora-coreos netdrv=flannel ;;
  master) image=ubuntu-2204-kube-v1.30.2 distro_want=ubuntu netdrv=calico ;;
  *) echo "cli-check: unknown profile $profile" >&2; exit 2 ;;
esac

"$bin" -profile "$profile" >"$work/env" 2>"$work/sim.log" &
sim_pid=$!
cleanup() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  [[ $(wc -l <"$work/env") -ge 9 ]] && break
  sleep 0.1
done
# shellcheck disable=SC1091
source "$work/env"

fail() { echo "cli-check: FAIL: $*" >&2; cat "$work/sim.log" >&2; exit 1; }
coe() { "$OPENSTACK" coe "$@"; }
name=cli-check-$$

echo "== cluster template create"
coe cluster template create "$name" --image "$image" --keypair testkey \
  --external-network public --flavor m1.small --docker-volume-size 5 \
  --network-driver "$netdrv" --coe kubernetes --labels kube_tag=v1.23.3,auto_healing_enabled=true \
  -f value -c uuid >"$work/create"
uuid=$(tail -n1 "$work/create")  # magnumclient prints an "accepted" line first
distro=$(coe cluster template show "$uuid" -f value -c cluster_distro)
[[ $distro == "$distro_want" ]] || fail "cluster_distro '$distro' (want $distro_want from Glance)"
echo "   uuid=$uuid cluster_distro=$distro"

echo "== cluster template show"
[[ $(coe cluster template show "$name" -f value -c uuid) == "$uuid" ]] || fail "show by name"
coe cluster template show "$uuid" -f value -c labels | grep -q "'auto_healing_enabled': 'true'" || fail "labels"

echo "== cluster template update"
[[ $(coe cluster template update "$name" replace docker_volume_size=9 -f value -c docker_volume_size) == 9 ]] || fail "update"

echo "== cluster template list"
coe cluster template list -f value -c uuid | grep -qx "$uuid" || fail "list"

echo "== error surfaces (expect a 400 from the simulator)"
if out=$(coe cluster template create bad --image no-such-image --external-network public --coe kubernetes 2>&1); then
  fail "create with a missing image succeeded"
fi
grep -q "Cluster type (vm, Unset, kubernetes) not supported (HTTP 400)" <<<"$out" || fail "unexpected error: $out"
echo "   $out"

echo "== cluster template delete"
coe cluster template delete "$name" >/dev/null
[[ -z $(coe cluster template list -f value -c uuid) ]] || fail "template still listed after delete"

echo "cli-check: OK"
