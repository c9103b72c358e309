#!/usr/bin/env bash
# Fails when docs/ is not what `make generate` would write. It generates into a
# scratch copy of the tree so a check never rewrites the developer's files.
set -euo pipefail
top=$(git rev-parse --show-toplevel)
cd "$top"
terraform_bin=${TERRAFORM:-$(command -v terraform || echo /usr/local/bin/terraform)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$scratch"/ 2>/dev/null || true
cd "$scratch"
rm -rf docs
"$terraform_bin" fmt -recursive examples/ >/dev/null
PATH="$(dirname "$terraform_bin"):$PATH" go tool tfplugindocs generate --provider-name magnum --rendered-provider-name "Magnum" >/dev/null
if ! diff -ru "$top/docs" "$scratch/docs"; then
  echo "docs/ is out of date: run 'make generate' and commit the result." >&2
  exit 1
fi
if ! diff -ru "$top/examples" "$scratch/examples" >/dev/null; then
  echo "examples/ are not formatted: run 'make fmt'." >&2
  exit 1
fi
echo "docs/ and examples/ are up to date."
