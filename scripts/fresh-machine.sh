#!/usr/bin/env bash
# Times the README's two commands on a fresh Debian 12 machine: a debootstrap chroot that has only what the README
# asks for (nodejs, npm, git), a fresh clone of this repository, empty caches. Run as root on a Debian host:
#   bash scripts/fresh-machine.sh [--warm] [ROOTFS_DIR]   (default /var/tmp/icsp-fresh; debootstrap kept in ROOTFS_DIR.base)
# --warm runs again in the previous run's machine (packages, Go and npm caches, control plane built) from a new clone.
# The chroot runs in its own network namespace (NAT to the host) so the suites' fixed ports on 127.0.0.1 do not meet
# the host's, in its own mount and PID namespaces so every mount and process ends with it.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine: run as root (debootstrap, chroot, network namespace)" >&2; exit 2; }
for tool in debootstrap ip iptables unshare; do
  command -v "$tool" >/dev/null && continue
  echo "fresh-machine: $tool is missing (apt-get install debootstrap iproute2 iptables util-linux)" >&2
  exit 2
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
# Clone the checked-out commit from the repository's git directory (a worktree's own path is not in the chroot).
gitdir="$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)"
commit="$(git -C "$repo" rev-parse HEAD)"
warm=0
if [ "${1:-}" = --warm ]; then warm=1; shift; fi
rootfs="${1:-/var/tmp/icsp-fresh}"
rootfs="${rootfs%/}"
log="$rootfs.log"
say() { printf '%s fresh-machine: %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$log" >&2; }

# A pristine debootstrap is kept beside the run's copy, so every run starts from the same fresh machine.
if [ ! -x "$rootfs.base/usr/bin/apt-get" ]; then
  say "debootstrap bookworm into $rootfs.base"
  rm -rf "$rootfs.base"
  debootstrap --variant=minbase bookworm "$rootfs.base" http://deb.debian.org/debian >>"$log" 2>&1
fi
if [ "$warm" -eq 0 ] || [ ! -d "$rootfs" ]; then rm -rf "$rootfs" && cp -a "$rootfs.base" "$rootfs"; fi
# The machine's own network trust (this workplace's egress proxy CA), which a machine of this kind ships with.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
fi

# A free slot (network namespace icsp-fN, 10.213.N.0/30), so two runs (a cold and a warm one) can run at once.
for n in 1 2 3 4 5 6 7 8 9; do [ -e "/run/netns/icsp-f$n" ] || break; done
ns="icsp-f$n" net="10.213.$n"
cleanup() {
  iptables -t nat -D POSTROUTING -s $net.0/30 -j MASQUERADE 2>/dev/null || true
  ip link del "${ns}-h" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$ns"
ip link add "${ns}-h" type veth peer name "${ns}-c"
ip link set "${ns}-c" netns "$ns"
ip addr add $net.1/30 dev "${ns}-h" && ip link set "${ns}-h" up
ip netns exec "$ns" sh -c "ip link set lo up && ip addr add $net.2/30 dev ${ns}-c && ip link set ${ns}-c up \
  && ip route add default via $net.1"
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s $net.0/30 -j MASQUERADE
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mkdir -p "$rootfs/work/shared" "$rootfs/mnt/src"

# Inside: the prerequisites the README names, a fresh clone beside ../shared, then `npm test` timed.
inner='set -euo pipefail
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
say() { printf "%s fresh-machine: %s\n" "$(date -u +%H:%M:%S)" "$*" >&2; }
t0=$(date +%s)
if ! command -v npm >/dev/null; then
  say "prerequisites: apt-get install nodejs npm git ca-certificates"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nodejs npm git ca-certificates >/dev/null
fi
update-ca-certificates >/dev/null 2>&1 || true
t1=$(date +%s)
rm -rf /work/icsp-bot && git clone -q --no-checkout /mnt/src /work/icsp-bot && cd /work/icsp-bot
git checkout -q "$ICSP_FRESH_COMMIT"
say "node $(node --version), npm $(npm --version), go: $(command -v go || echo none); commit $(git rev-parse --short HEAD)"
set +e; npm test; rc=$?; set -e
t2=$(date +%s)
say "prerequisites $((t1 - t0)) s; npm test $((t2 - t1)) s; exit $rc"
exit $rc'

set +e
# nsenter, not `ip netns exec`: that remounts /sys and so hides the cgroup mounts runc needs to start containers.
nsenter --net="/run/netns/$ns" unshare --mount --pid --fork --propagation private bash -c '
  set -e; r="$1"
  # The root must be a mount point, as on a real machine: unshare --mount (tinyproxy, the lab) remounts it private.
  mount --bind "$r" "$r"
  mount -t proc proc "$r/proc"; mount -t sysfs sysfs "$r/sys"; mount --rbind /sys/fs/cgroup "$r/sys/fs/cgroup"
  mount --rbind /dev "$r/dev"; mount -t tmpfs tmpfs "$r/tmp"; mount -t tmpfs tmpfs "$r/run"
  mount --bind "$2" "$r/work/shared"; mount -o remount,bind,ro "$r/work/shared"
  mount --bind "$3" "$r/mnt/src"
  exec env ICSP_FRESH_COMMIT="$5" ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} \
    ${SSL_CERT_FILE:+SSL_CERT_FILE="$SSL_CERT_FILE"} chroot "$r" bash -c "$4"' _ "$rootfs" "$shared" "$gitdir" "$inner" "$commit" 2>&1 | tee -a "$log"
rc="${PIPESTATUS[0]}"
set -e
say "done, exit $rc (log: $log)"
exit "$rc"
