#!/usr/bin/env bash
# HashiCorp's kubernetes provider v1.13.4 and helm provider v1.3.2 (the only
# versions the Go module proxy serves here), built once per machine into a
# Terraform filesystem mirror for the hand-off tests:
#   <cache>/registry.terraform.io/hashicorp/{kubernetes/1.13.4,helm/1.3.2}/<os>_<arch>/
#
#   scripts/handoff-providers.sh path    prints the mirror directory (exit 1 unless complete)
#   scripts/handoff-providers.sh build   builds what is missing, with progress
#
# Both need vbom.ml/util, whose host is gone and which the proxy refuses
# (403): its only package, sortorder, lives on unchanged in its successor
# module github.com/fvbommel/sortorder, and a copy of it stands in for
# vbom.ml/util through a replace. Everything happens in a scratch
# directory: nothing of either provider is kept but the binaries.
set -euo pipefail
k8s_version=1.13.4
helm_version=1.3.2
sortorder_version=v1.0.2
mirror=${MAGNUM_HANDOFF_PROVIDERS:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magnum/handoff-providers}
platform="$(go env GOOS)_$(go env GOARCH)"
k8s_bin=$mirror/registry.terraform.io/hashicorp/kubernetes/$k8s_version/$platform/terraform-provider-kubernetes_v$k8s_version
helm_bin=$mirror/registry.terraform.io/hashicorp/helm/$helm_version/$platform/terraform-provider-helm_v$helm_version

step() { printf '[handoff-providers %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

moddir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# build_one MODULE VERSION OUT
build_one() {
  local src
  src=$(moddir "$1@v$2")
  [ -d "$src" ] || { echo "handoff-providers: no module directory for $1@v$2" >&2; exit 1; }
  rm -rf "$scratch/src"
  cp -r "$src" "$scratch/src"
  chmod -R u+w "$scratch/src"
  (
    cd "$scratch/src"
    go mod edit -replace "vbom.ml/util=$scratch/vbom-util"
    go build -mod=mod -trimpath -ldflags "-s -w" -o "$3.tmp" .
  )
  mv "$3.tmp" "$3"
}

build() {
  if [ -x "$k8s_bin" ] && [ -x "$helm_bin" ]; then
    step "cached in $mirror"
    return 0
  fi
  local start
  start=$(date +%s)
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/handoff-providers.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$scratch'" EXIT
  export GOWORK=off GOFLAGS="${GOFLAGS:-} -buildvcs=false"

  step "1/3 vbom.ml/util from its successor github.com/fvbommel/sortorder $sortorder_version"
  local so
  so=$(moddir "github.com/fvbommel/sortorder@$sortorder_version")
  mkdir -p "$scratch/vbom-util/sortorder"
  for f in "$so"/*.go; do
    case "$f" in *_test.go) ;; *) cp "$f" "$scratch/vbom-util/sortorder/" ;; esac
  done
  printf 'module vbom.ml/util\n\ngo 1.12\n' >"$scratch/vbom-util/go.mod"

  mkdir -p "$(dirname "$k8s_bin")" "$(dirname "$helm_bin")"
  if [ ! -x "$k8s_bin" ]; then
    step "2/3 building terraform-provider-kubernetes v$k8s_version (about 2 minutes on 2 cores with empty Go caches)"
    build_one github.com/hashicorp/terraform-provider-kubernetes "$k8s_version" "$k8s_bin"
  fi
  if [ ! -x "$helm_bin" ]; then
    step "3/3 building terraform-provider-helm v$helm_version (about 1.5 minutes)"
    build_one github.com/hashicorp/terraform-provider-helm "$helm_version" "$helm_bin"
  fi
  step "built in $(($(date +%s) - start)) s into $mirror"
}

case "${1:-build}" in
  path) [ -x "$k8s_bin" ] && [ -x "$helm_bin" ] && echo "$mirror" ;;
  build) build ;;
  *) echo "usage: $0 path|build" >&2; exit 2 ;;
esac
