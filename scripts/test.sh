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
# The longest file first (the CLI suites again in remote mode, ~half the run): started last, it
# ran on alone at the end; started first, the other files fill the slots beside it.
first=tests/remote/cli-suites.test.ts
rest=()
for f in "${files[@]}"; do [ "$f" = "$first" ] || rest+=("$f"); done
files=("$first" "${rest[@]}")
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-concurrency="${PIER_TEST_CONCURRENCY:-4}" --test-reporter=spec "${files[@]}"
