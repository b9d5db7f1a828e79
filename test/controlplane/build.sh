#!/usr/bin/env bash
# Builds the test control plane (embedded etcd + kube-apiserver) from the Go module proxy, once:
# the binary is cached under a key made from this module's files and `go version`, so a warm
# call only hashes and prints the path. Prints the binary's path on stdout; logs go to stderr.
#
# Cache root: $ICSP_BOT_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/icsp-bot.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

cache_root="${ICSP_BOT_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/icsp-bot}"
key="$( { cat go.mod go.sum build.sh ./*.go; go version; } | sha256sum | cut -c1-16)"
out_dir="$cache_root/controlplane/$key"
bin="$out_dir/controlplane"

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$out_dir"
# One build at a time (parallel CI steps or test runs share the cache).
exec 9>"$out_dir/.lock"
flock 9
if [[ ! -x "$bin" ]]; then
  version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"   # e.g. v1.36.3, from go.mod
  minor="${version#v1.}"; minor="${minor%%.*}"
  echo "building kube-apiserver ${version} + etcd $(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3) into $bin (cold, 2 cores: about 7 min plus module download)" >&2
  start=$SECONDS
  # Static like upstream (CGO_ENABLED=0); version ldflags so /version reports the real release.
  CGO_ENABLED=0 go build -mod=readonly -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean" \
    -o "$bin.tmp" .
  mv "$bin.tmp" "$bin"
  echo "built in $((SECONDS - start))s" >&2
  # Binaries of other keys are stale (~110 MB each); running ones keep working once unlinked.
  find "$cache_root/controlplane" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
fi
echo "$bin"
