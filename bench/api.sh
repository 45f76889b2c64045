#!/usr/bin/env bash
# Benchmarks pier's REST service against podman's `system service` (Debian's podman 4.3, a
# reference peer only) in one run. See bench/api.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for p in podman hyperfine time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    export DEBIAN_FRONTEND=noninteractive; apt-get update -q; apt-get install -y -q "$p"; }
done
unset NODE_EXTRA_CA_CERTS
exec node --import tsx bench/api.ts
