#!/usr/bin/env bash
# Benchmarks the Docker image endpoints of pier's REST service against podman's `system service`
# (a reference peer only) side by side in one run. See bench/api-images.ts.
source "$(dirname "$0")/lib.sh"
exec node --import tsx bench/api-images.ts
