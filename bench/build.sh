#!/usr/bin/env bash
# Benchmarks `pier build` against `podman build` (Debian's, a reference peer only) in one run:
# a 10-step Containerfile, cold (--no-cache) and warm (every step cached).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for p in podman hyperfine; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    export DEBIAN_FRONTEND=noninteractive; apt-get update -q; apt-get install -y -q "$p"; }
done
unset NODE_EXTRA_CA_CERTS
exec node --import tsx bench/build.ts
