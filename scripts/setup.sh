#!/usr/bin/env bash
# One idempotent set-up step for a Debian 12 machine (run as root): installs the Debian
# packages pier and its tests need when missing, the npm packages, builds the native addon
# and the bundle, and links `pier` onto PATH. Fast when everything is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  runc crun conmon netavark aardvark-dns slirp4netns passt fuse-overlayfs uidmap catatonit
  iptables golang-github-containers-common docker-registry busybox-static apache2-utils openssl tmux hyperfine
  python3 make g++ git ca-certificates curl zstd bzip2 xz-utils
  python3-docker docker-compose openssh-server openssh-client
  # podman 4.3's remote client drives pier's Libpod API in tests/api/podman-remote (pier never runs it).
  podman
  # pier signs and verifies image signatures with gpg (image sign, push --sign-by, signedBy policies).
  gpg gpg-agent
  # systemd-analyze verify checks the units of `pier generate systemd` (tests/containers-cli/generate-systemd);
  # tests/auto-update runs its user manager (`systemd --user`) and systemctl restarts units through it.
  systemd
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The docker-registry package starts a system registry on :5000; pier's tests start their own.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

# The rootless tests (tests/rootless) run pier as this user: a home of its own and subordinate
# ids in /etc/subuid and /etc/subgid, a range after every range listed there (useradd may have
# given it one already).
if ! id pier-rootless >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash pier-rootless
fi
if ! grep -q '^pier-rootless:' /etc/subuid || ! grep -q '^pier-rootless:' /etc/subgid; then
  start=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN { m = 100000 } NF >= 3 && $2 + $3 > m { m = $2 + $3 } END { print m }')
  usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" pier-rootless
fi

# slirp4netns, rootless containers' default network, opens /dev/net/tun as the user: Debian's
# udev makes it 0666; a VM without udev may leave it 0600.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 600 ]; then
  chmod 0666 /dev/net/tun
fi

# npm packages: reinstall only when package-lock.json changed.
stamp=node_modules/.pier-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# The native addon (mknod, xattrs, mount), built from source with node-gyp.
addon=native/build/Release/pier_native.node
src_hash=$(cat native/binding.gyp native/*.c | sha256sum | cut -d' ' -f1)
if [ ! -f "$addon" ] || [ "$(cat native/build/.src-hash 2>/dev/null)" != "$src_hash" ]; then
  echo "setup: building native addon"
  nodedir=$(npm config get nodedir 2>/dev/null | grep -v "^undefined$" || true)
  (cd native && ../node_modules/.bin/node-gyp rebuild --silent ${nodedir:+--nodedir="$nodedir"} >/dev/null)
  echo "$src_hash" > native/build/.src-hash
fi

echo "setup: building pier"
node scripts/build.mjs

# PIER_NO_LINK=1 (used by extra git worktrees) leaves /usr/local/bin/pier alone. The quadlet
# generator goes on PATH too (not into systemd's generator directories: docs/quadlet.md).
if [ -z "${PIER_NO_LINK:-}" ]; then
  ln -sf "$PWD/dist/pier.js" /usr/local/bin/pier
  ln -sf "$PWD/dist/pier-quadlet" /usr/local/bin/pier-quadlet
fi
echo "setup: done ($(node dist/pier.js --version))"
