#!/usr/bin/env bash
# Benchmarks pier's REST service against podman's `system service` (Debian's podman 4.3, a
# reference peer only) in one run. See bench/api.ts.
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/api.ts
