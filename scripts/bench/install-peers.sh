#!/bin/sh
# Installs the benchmark's peers (scripts/bench/package.json) when they are missing or their lock
# changed since the last install; `npm run bench`, `bench:quick` and `bench:profile` call it first.
set -e
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bench: installing the peers (Prism, WireMock, autocannon) into scripts/bench/node_modules" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
