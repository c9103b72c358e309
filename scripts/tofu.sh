#!/usr/bin/env bash
# OpenTofu for the acceptance suite. No release binary can be downloaded here,
# so tofu is built from its Go module once and cached.
#   scripts/tofu.sh path    prints the cached binary's path (exit 1 if absent)
#   scripts/tofu.sh build   builds it if absent (about 6 minutes on 2 cores)
#   scripts/tofu.sh test    runs the acceptance tests with tofu
set -euo pipefail
version=${TOFU_VERSION:-1.10.6}
cache=${TOFU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-magnum/tofu-$version}
bin=$cache/tofu

build() {
  [ -x "$bin" ] && return 0
  mkdir -p "$cache"
  dir=$(go mod download -json "github.com/opentofu/opentofu@v$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  # go install refuses the module because of its replace directive.
  (cd "$dir" && GOFLAGS=-mod=mod go build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$bin.tmp" ./cmd/tofu)
  mv "$bin.tmp" "$bin"
}

case "${1:-test}" in
  path) [ -x "$bin" ] && echo "$bin" ;;
  build) build; "$bin" version | sed -n 1p ;;
  test)
    build
    cd "$(dirname "$0")/.."
    "$bin" version | sed -n 1p
    # terraform-plugin-testing registers the provider under the legacy
    # hashicorp namespace; OpenTofu needs its own registry host for that.
    TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin" TF_ACC_PROVIDER_NAMESPACE=hashicorp \
      TF_ACC_PROVIDER_HOST=registry.opentofu.org \
      go test -count=1 -timeout 14m ./internal/provider/ ${TOFU_TEST_RUN:+-run "$TOFU_TEST_RUN"}
    ;;
  *) echo "usage: $0 path|build|test" >&2; exit 2 ;;
esac
