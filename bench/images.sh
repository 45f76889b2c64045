#!/usr/bin/env bash
# Benchmarks pier against podman (Debian's, as a reference peer only) side by side in one run.
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/images.ts
