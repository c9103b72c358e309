#!/usr/bin/env bash
# Cluster API's CRDs (core, kubeadm bootstrap and control plane) for the
# stand-in management cluster (internal/sim/capi), copied out of the
# sigs.k8s.io/cluster-api Go module into a cache directory. Nothing of the
# module is committed.
#
#   scripts/capi-crds.sh [DIR]   copies the CRDs into DIR (default: the cache
#                                below) and prints DIR
set -euo pipefail
version=${CAPI_VERSION:-v1.8.4}
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magnum/capi-crds-$version}
if ls "$dir"/cluster.x-k8s.io_clusters.yaml >/dev/null 2>&1; then
  echo "$dir"
  exit 0
fi
mod=$(cd "${TMPDIR:-/tmp}" && GOWORK=off GOFLAGS= GO111MODULE=on go mod download -json "sigs.k8s.io/cluster-api@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$mod" ] || { echo "capi-crds: no module directory for sigs.k8s.io/cluster-api@$version" >&2; exit 1; }
mkdir -p "$dir.tmp"
# The core CRDs moved from config/ to core/config/ in v1.11.
core=$mod/core/config/crd/bases
[ -d "$core" ] || core=$mod/config/crd/bases
cp "$core"/*.yaml "$mod"/bootstrap/kubeadm/config/crd/bases/*.yaml \
  "$mod"/controlplane/kubeadm/config/crd/bases/*.yaml "$dir.tmp/"
chmod u+w "$dir.tmp"/*.yaml
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
