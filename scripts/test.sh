#!/usr/bin/env bash
# The README's test command (`npm test`; .ci/run runs exactly that): the set-up the suites need on a fresh Debian
# machine, then lint, type-check and every suite (`npm run test:all`). Idempotent and quick when everything is
# there: dpkg -s per package, a hash of package-lock.json, the control plane's cache key.
#   - as root: installs the Debian packages of the podman lab and Go (golang-go) when missing;
#   - Go older than test/controlplane/go.mod asks for: GOTOOLCHAIN=auto fetches that release through the Go module
#     proxy, verified against the checksum database. That needs Go >= 1.21: Debian 12's golang-go is 1.19, so as root
#     the script takes golang-go from bookworm-backports (1.23) when the release's own is older;
#   - npm ci when node_modules does not match package-lock.json (with npm 11 on Node 24 when the machine's npm is
#     older than 10);
#   - builds (or finds cached) the test control plane (test/controlplane/build.sh; about 7 min cold).
set -euo pipefail
cd "$(dirname "$0")/.."
export HOME="${HOME:-/root}"
export DEBIAN_FRONTEND=noninteractive
say() { printf 'npm test: %s\n' "$*" >&2; }

# --- Debian packages: real podman, skopeo and docker-registry for the lab; Go for the control plane and the oracle.
# time: /usr/bin/time measures the CLI's peak RSS in the input-bound tests.
pkgs=(podman skopeo docker-registry openssl apache2-utils iproute2 util-linux tar gzip uidmap crun runc conmon
  fuse-overlayfs golang-github-containers-common tinyproxy ca-certificates git time)
[ -d /usr/local/go/bin ] && export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || pkgs+=(golang-go)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    say "installing ${missing[*]}"
    # Keep the packaged docker-registry service from starting (the lab starts its own registries).
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  else
    say "not root, so not installing ${missing[*]}: the suites that need them will say so"
  fi
fi

# --- Go: at least the version test/controlplane/go.mod names.
want="$(sed -n 's/^go \([0-9.]*\)$/\1/p' test/controlplane/go.mod)"
older() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" != "$2" ]; } # is $1 older than $2?
go_version() { local v; v="$(go env GOVERSION 2>/dev/null || true)"; printf '%s' "${v#go}"; }
# GOTOOLCHAIN=auto exists since Go 1.21; an older Debian's golang-go gets the release's backports suite as root.
if command -v go >/dev/null 2>&1 && older "$(go_version)" 1.21 && [ "$(id -u)" -eq 0 ] && [ -r /etc/os-release ]; then
  codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  if [ -n "$codename" ] && [ "$(. /etc/os-release && printf '%s' "${ID:-}")" = debian ]; then
    say "Go $(go_version) is older than 1.21: installing golang-go from ${codename}-backports"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s-backports\nComponents: main\n' "$codename" \
      >/etc/apt/sources.list.d/icsp-bot-backports.sources
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -t "${codename}-backports" golang-go >/dev/null
    hash -r
  fi
fi
if command -v go >/dev/null 2>&1; then
  have="$(go_version)"
  if [ -n "$want" ] && older "${have:-0}" "$want"; then
    say "Go ${have:-unknown} is older than ${want}: GOTOOLCHAIN=auto fetches go${want} (module proxy, checksum-verified)"
    export GOTOOLCHAIN=auto
  fi
else
  say "no Go on PATH: the control plane and the oracle cannot be built (run as root to install golang-go, or install Go >= ${want})"
fi

# --- npm ci when node_modules does not match the lock file.
lock_hash="$(sha256sum package-lock.json | cut -c1-64)"
stamp=node_modules/.icsp-bot-lock.sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
  # npm < 10 (Debian 12 ships 9.2) leaves out the platform packages the lock file lists (rolldown's native binding,
  # so vitest cannot start): once Node 24 is in node_modules, install again with npm 11 running on it.
  if [ "$(npm --version | cut -d. -f1)" -lt 10 ]; then
    say "npm $(npm --version) skips platform packages: npm ci again with npm 11 on the project's Node 24"
    npm exec --yes --package=npm@11.21.2 -- npm ci --no-audit --no-fund
  fi
  echo "$lock_hash" >"$stamp"
fi

# --- The test control plane (kube-apiserver + etcd), built once into the cache.
if command -v go >/dev/null 2>&1; then
  bash test/controlplane/build.sh >/dev/null
fi

# --- Lint, type-check and every suite; each suite writes its JSON report for .ci/summary.ts.
rm -rf .cache/test-results
exec npm run test:all
