#!/usr/bin/env bash
# Benchmarks pier's REST service against podman's `system service` and, when Debian's docker.io
# installs and starts, dockerd (reference peers only) in one run. See bench/api.ts.
source "$(dirname "$0")/lib.sh"
command -v dockerd >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io >/dev/null 2>&1 || echo "bench: docker.io not installable; dockerd left out"; }
exec node --import tsx bench/api.ts
