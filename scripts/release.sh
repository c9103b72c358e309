#!/usr/bin/env bash
# Builds what the Terraform Registry expects for a release: one zip per
# platform holding terraform-provider-magnum_v<version>, the registry manifest,
# and a SHA256SUMS file over them. Signing the sums (gpg --detach-sign) is
# left to the release machine that holds the key.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-}
if [ -z "$version" ]; then
  version=$(git describe --tags --exact-match 2>/dev/null || true)
  version=${version#v}
fi
version=${version:-0.0.0-dev}
platforms=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64"}
name=terraform-provider-magnum
out=dist
rm -rf "$out" && mkdir -p "$out"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  ext=""; [ "$os" = windows ] && ext=.exe
  bin="$build/$os-$arch/${name}_v${version}${ext}"
  mkdir -p "$(dirname "$bin")"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.version=${version}" -o "$bin" .
  (cd "$(dirname "$bin")" && zip -q -X "$OLDPWD/$out/${name}_${version}_${os}_${arch}.zip" "$(basename "$bin")")
  echo "built ${name}_${version}_${os}_${arch}.zip"
done
cp terraform-registry-manifest.json "$out/${name}_${version}_manifest.json"
(cd "$out" && sha256sum -- *.zip "${name}_${version}_manifest.json" > "${name}_${version}_SHA256SUMS")
echo "wrote $out/${name}_${version}_SHA256SUMS"
