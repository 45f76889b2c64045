#!/usr/bin/env bash
# Benchmarks `pier build` against `podman build` (Debian's, a reference peer only) in one run:
# a 10-step Containerfile, cold (--no-cache) and warm (every step cached).
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/build.ts
