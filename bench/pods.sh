#!/usr/bin/env bash
# Benchmarks pier against podman (Debian's, a reference peer only) in one run: `run --rm IMG true`
# on each engine's default bridge network, and `pod create` + `pod rm` cycles.
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/pods.ts
