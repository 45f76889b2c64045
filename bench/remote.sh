#!/usr/bin/env bash
# Benchmarks pier's remote client against its service and podman's remote client against podman's
# service, in one run. See bench/remote.ts.
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/remote.ts
