#!/usr/bin/env bash
# The real Kubernetes control plane behind simulated bays, built once per
# machine from the Go module proxy and cached:
#   kube-apiserver, kube-controller-manager, kube-scheduler  k8s.io/kubernetes
#   etcd                                                     go.etcd.io/etcd/server/v3 at the
#                                                            version Kubernetes pins (3.5.16)
# The simulator plays the kubelets itself (internal/sim/kubeapi/kubelet.go).
#
#   scripts/kube-bins.sh path    prints the cache directory (exit 1 unless complete)
#   scripts/kube-bins.sh build   builds what is missing, with progress
#
# Nothing is vendored or committed: the Kubernetes module is built where the
# module cache holds it, with a go.mod copy (-modfile) in a scratch directory
# whose ./staging replaces point at the published k8s.io modules.
set -euo pipefail
k8s_version=${KUBE_VERSION:-v1.32.3}
cache=${MAGNUM_KUBE_BINS:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magnum/kube-$k8s_version}
bins=(kube-apiserver kube-controller-manager kube-scheduler etcd)

complete() {
  local b
  for b in "${bins[@]}"; do [ -x "$cache/$b" ] || return 1; done
}

step() { printf '[kube-bins %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

build() {
  if complete; then
    step "cached in $cache"
    return 0
  fi
  local start scratch dir minor ld
  start=$(date +%s)
  mkdir -p "$cache"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/kube-bins.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$scratch'" EXIT
  export GOWORK=off GOFLAGS="${GOFLAGS:-} -buildvcs=false"

  step "1/2 downloading k8s.io/kubernetes $k8s_version"
  dir=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "kube-bins: no module directory for k8s.io/kubernetes@$k8s_version" >&2; exit 1; }
  # Each ./staging/src/k8s.io/X replace becomes the published k8s.io/X
  # v0.MINOR.PATCH, which is the same code.
  cp "$dir/go.mod" "$dir/go.sum" "$scratch/"
  chmod u+w "$scratch/go.mod" "$scratch/go.sum"
  sed -i -E "s#=> \./staging/src/(k8s\.io/[a-z0-9-]+)#=> \1 v0.${k8s_version#v1.}#" "$scratch/go.mod"
  if grep -q '=> \./' "$scratch/go.mod"; then
    echo "kube-bins: local replaces left in k8s.io/kubernetes's go.mod:" >&2
    grep '=> \./' "$scratch/go.mod" >&2
    exit 1
  fi
  minor=${k8s_version#v1.}
  minor=${minor%%.*}
  # kubectl refuses to parse a server version without these.
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.gitCommit=0000000000000000000000000000000000000000"
    ld="$ld -X $pkg.buildDate=2025-03-11T00:00:00Z"
  done

  step "2/2 building kube-apiserver, kube-controller-manager, kube-scheduler and etcd (about 5 minutes on 2 idle cores with empty Go caches, 30 s warm)"
  (cd "$dir" && go build -modfile="$scratch/go.mod" -mod=mod -trimpath -ldflags "$ld" -o "$scratch/" \
    ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler go.etcd.io/etcd/server/v3)
  # go build names the binary of go.etcd.io/etcd/server/v3 "server".
  mv "$scratch/server" "$scratch/etcd"

  for b in "${bins[@]}"; do mv "$scratch/$b" "$cache/$b"; done
  step "built in $(($(date +%s) - start)) s into $cache"
}

case "${1:-build}" in
  path) complete && echo "$cache" ;;
  build) build ;;
  *) echo "usage: $0 path|build" >&2; exit 2 ;;
esac
