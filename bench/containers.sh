#!/usr/bin/env bash
# Benchmarks pier's container commands against podman (Debian's, a reference peer only) in one run.
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/containers.ts
