#!/usr/bin/env bash
# Regenerates go.mod for a Kubernetes version: k8s.io/kubernetes pins its staging modules to
# ./staging/src/k8s.io/<m>, which a consumer cannot resolve, so each one is replaced by its
# published tag v0.<minor>.<patch>. The list is read from the downloaded go.mod (never by hand).
# Usage: test/controlplane/gen-gomod.sh v1.36.3
set -euo pipefail
cd "$(dirname "$0")"
version="${1:?usage: gen-gomod.sh v1.MINOR.PATCH}"
staging="v0.${version#v1.}"
gomod="$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
go mod edit -require="k8s.io/kubernetes@${version}"
for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*#\1#p' "$gomod"); do
  go mod edit -replace="${m}=${m}@${staging}"
done
go mod tidy
