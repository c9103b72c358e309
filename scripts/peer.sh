#!/usr/bin/env bash
# HashiCorp's peer provider, terraform-provider-openstack, for the peer
# check (internal/peercheck): a client nobody here wrote drives a cluster's
# whole life against the simulator. No release binary can be downloaded
# here, so it is built from its Go module once per machine and cached; its
# code and binary never enter this repository.
#   scripts/peer.sh path         prints the cached binary's directory (exit 1 if absent)
#   scripts/peer.sh build        builds it if absent (about 3 minutes on 2 cores, cold)
#   scripts/peer.sh test [real]  runs the peer check against the simulator, or
#                                with "real" against the cloud of MAGNUM_ACC_OPENRC
#                                (default /tmp/magnum-real/openrc)
set -euo pipefail
version=${PEER_VERSION:-3.4.0}
module=github.com/terraform-provider-openstack/terraform-provider-openstack/v3
cache=${PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magnum/peer-openstack-$version}
bin=$cache/terraform-provider-openstack

build() {
  [ -x "$bin" ] && return 0
  mkdir -p "$cache"
  local tmp
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  # go install builds outside this module: the peer's own go.mod and go.sum
  # decide its dependencies.
  GOFLAGS=-buildvcs=false GOBIN="$tmp" go install "$module@v$version"
  mv "$tmp/terraform-provider-openstack" "$bin"
  rmdir "$tmp"
}

case "${1:-test}" in
  path) [ -x "$bin" ] && echo "$cache" ;;
  build)
    start=$(date +%s)
    build
    echo "peer: $bin ($(( $(date +%s) - start ))s)"
    ;;
  test)
    build
    cd "$(dirname "$0")/.."
    export MAGNUM_PEER_PROVIDER_DIR=$cache
    if [ "${2:-sim}" = real ]; then
      export MAGNUM_ACC_TARGET=real MAGNUM_ACC_OPENRC=${MAGNUM_ACC_OPENRC:-/tmp/magnum-real/openrc}
    fi
    go test -count=1 -v -timeout "${PEER_TEST_TIMEOUT:-15m}" -run 'TestPeer' ./internal/peercheck
    ;;
  *) echo "usage: $0 path|build|test [real]" >&2; exit 2 ;;
esac
