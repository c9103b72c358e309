#!/usr/bin/env bash
# helm v3, which magnum-cluster-api runs to render its bundled charts
# (`helm template`), built once per machine from the Go module proxy and
# cached. Debian does not package helm; nothing of it is committed.
#
#   scripts/helm-bin.sh path    prints the binary's path (exit 1 unless built)
#   scripts/helm-bin.sh build   builds it when missing and prints the path
set -euo pipefail
version=${HELM_VERSION:-v3.21.4}
cache=${MAGNUM_HELM_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magnum/helm-$version}
bin=$cache/helm

build() {
  if [ -x "$bin" ]; then
    echo "$bin"
    return 0
  fi
  local start dir scratch
  start=$(date +%s)
  mkdir -p "$cache"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/helm-bin.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$scratch'" EXIT
  export GOWORK=off GOFLAGS="-buildvcs=false"
  dir=$(cd "$scratch" && GO111MODULE=on go mod download -json "helm.sh/helm/v3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "helm-bin: no module directory for helm.sh/helm/v3@$version" >&2; exit 1; }
  echo "[helm-bin $(date +%H:%M:%S)] building helm $version (about 2 minutes on 2 cores with empty Go caches)" >&2
  (cd "$dir" && CGO_ENABLED=0 go build -mod=mod -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$scratch/helm" ./cmd/helm) >&2
  mv "$scratch/helm" "$bin"
  echo "[helm-bin $(date +%H:%M:%S)] built in $(($(date +%s) - start)) s into $cache" >&2
  echo "$bin"
}

case "${1:-build}" in
  path) [ -x "$bin" ] && echo "$bin" ;;
  build) build ;;
  *) echo "usage: $0 path|build" >&2; exit 2 ;;
esac
