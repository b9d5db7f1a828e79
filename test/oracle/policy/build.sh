#!/usr/bin/env bash
# Builds the policy.json oracle of the differential test (main.go) from the Go module proxy, once: the
# binary is cached under a key made from this module's files and `go version`, so a warm call only
# hashes and prints the path. Prints the binary's path on stdout; logs go to stderr.
#
# Cache root: $ICSP_BOT_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/icsp-bot.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
  echo "test/oracle/policy/build.sh: 'go' is not on PATH. The policy.json differential test builds a small Go program against containers/image; install Go 1.24 or newer (https://go.dev/dl/) and run again." >&2
  exit 127
fi

cache_root="${ICSP_BOT_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/icsp-bot}"
key="$( { cat go.mod go.sum build.sh ./*.go; go version; } | sha256sum | cut -c1-16)"
out_dir="$cache_root/policy-oracle/$key"
bin="$out_dir/policy-oracle"

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$out_dir"
# One build at a time (parallel test runs share the cache).
exec 9>"$out_dir/.lock"
flock 9
if [[ ! -x "$bin" ]]; then
  echo "building the containers/image policy.json oracle ($(go list -m -f '{{.Path}}@{{.Version}}' github.com/containers/image/v5)) into $bin (cold, 2 cores under load: about 4 min including the module download)" >&2
  start=$SECONDS
  CGO_ENABLED=0 go build -mod=readonly -tags containers_image_openpgp -trimpath -ldflags "-s -w" -o "$bin.tmp" .
  mv "$bin.tmp" "$bin"
  echo "built in $((SECONDS - start))s" >&2
  # Binaries of other keys are stale.
  find "$cache_root/policy-oracle" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
fi
echo "$bin"
