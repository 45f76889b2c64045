#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and runs the whole test suite with node's test runner.
# Suites are files; they run concurrently (each test uses its own --root/--runroot).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
unset NODE_EXTRA_CA_CERTS || true
shopt -s globstar nullglob
files=(tests/**/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-concurrency="${PIER_TEST_CONCURRENCY:-4}" --test-reporter=spec "${files[@]}"
