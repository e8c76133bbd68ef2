#!/usr/bin/env bash
# npm run test:container — builds the Dockerfile with podman, runs the image with a named volume,
# waits for its health, walks one batch through the lifecycle over HTTP, restarts the container
# and checks the batch survived; then brings the repository's docker-compose.yml up with
# podman-compose, waits until it is healthy, seals one batch through the published port and one
# from an app that depends_on it (docs/shipping.md's example), and brings it down. Removes every
# container, volume, network and image it made.
#
# Needs podman, podman-compose and the base image node:24-slim. Where a registry is reachable,
# podman pulls it; otherwise set CONTAINER_BASE_SCRIPT to a script that installs podman and builds
# a local stand-in (.ci/run does). Every wait is bounded. Last line: "container test: N passed, M failed".
set -uo pipefail

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
cd "$repo" || exit 1

run_id="$$-$(date +%s)"
image="seal-simulator-test:$run_id"
name="seal-simulator-test-$run_id"
volume="seal-simulator-test-$run_id"
work=$(mktemp -d /tmp/seal-container-test.XXXXXX)
api_key="container-test-key"
passed=0
failed=0

say() { printf '[container-test] %s\n' "$*"; }
pass() { passed=$((passed + 1)); printf 'ok   - %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$*"; }
summary() { printf 'container test: %d passed, %d failed\n' "$passed" "$failed"; }

cleanup() {
  local rc=$?
  if [ -n "${compose_up:-}" ]; then
    podman-compose "${compose_files[@]}" down -v >/dev/null 2>&1
  fi
  if [ -n "${podman_ready:-}" ]; then
    if [ "$failed" -gt 0 ] && podman container exists "$name" 2>/dev/null; then
      say "last lines of the container's log:"
      podman logs --tail 30 "$name" 2>&1 | sed 's/^/    /'
    fi
    podman rm -f -t 0 "$name" >/dev/null 2>&1
    podman volume rm -f "$volume" >/dev/null 2>&1
    podman rmi -f "$image" >/dev/null 2>&1
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"; summary; exit 130' INT TERM

# ---- podman and the base image ------------------------------------------------------------------
base=docker.io/library/node:24-slim
if ! command -v podman >/dev/null 2>&1 || ! command -v podman-compose >/dev/null 2>&1 \
   || ! podman image exists "$base" 2>/dev/null; then
  if command -v podman >/dev/null 2>&1 && timeout 120 podman pull -q "$base" >/dev/null 2>&1 && command -v podman-compose >/dev/null 2>&1; then
    say "pulled $base"
  elif [ -n "${CONTAINER_BASE_SCRIPT:-}" ] && [ -f "$CONTAINER_BASE_SCRIPT" ]; then
    say "running $CONTAINER_BASE_SCRIPT"
    if ! bash "$CONTAINER_BASE_SCRIPT"; then fail "$CONTAINER_BASE_SCRIPT failed"; summary; exit 1; fi
  else
    fail "podman, podman-compose or $base missing (set CONTAINER_BASE_SCRIPT to a script that provides them)"; summary; exit 1
  fi
fi
podman_ready=1

# ---- build --------------------------------------------------------------------------------------
say "podman build (npm ci with dev dependencies, tsc, prune; a few minutes on 2 cores)"
build_start=$(date +%s)
# docker format: the OCI format has no HEALTHCHECK
if timeout 1200 podman build --format docker --network host --layers=false -t "$image" . >"$work/build.log" 2>&1; then
  pass "image builds ($(( $(date +%s) - build_start )) s)"
else
  fail "podman build failed; last lines:"
  tail -40 "$work/build.log" | sed 's/^/    /'
  summary
  exit 1
fi
size_bytes=$(podman image inspect --format '{{.Size}}' "$image")
size_mb=$(( size_bytes / 1000 / 1000 ))
say "image size: $size_mb MB ($size_bytes bytes)"
base_bytes=$(podman image inspect --format '{{.Size}}' "$base")
say "of which the base node:24-slim: $(( base_bytes / 1000 / 1000 )) MB; the simulator adds $(( (size_bytes - base_bytes) / 1000 / 1000 )) MB"

config_user=$(podman image inspect --format '{{.Config.User}}' "$image")
[ "$config_user" = "node" ] && pass "image runs as the node user" || fail "image user is '$config_user', not node"
if podman image inspect --format '{{json .Config.Volumes}}' "$image" | grep -q '"/data"'; then pass "image declares VOLUME /data"; else fail "no VOLUME /data"; fi
healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$image" 2>/dev/null)
if printf '%s' "$healthcheck" | grep -q '"Test":\["CMD","node","dist/src/healthcheck.js"\]'; then pass "image has the HEALTHCHECK node dist/src/healthcheck.js (exec form)"; else fail "no HEALTHCHECK node dist/src/healthcheck.js in the image ($healthcheck)"; fi
if podman run --rm --network host "$image" --version >"$work/version.txt" 2>"$work/version.err" \
   && [ "$(cat "$work/version.txt")" = "$(node -p 'require("./package.json").version')" ]; then
  pass "seal-simulator --version in the image prints $(cat "$work/version.txt")"
else
  fail "--version in the image printed: $(head -c 300 "$work/version.txt")"
fi

# ---- run ----------------------------------------------------------------------------------------
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
url="http://127.0.0.1:$port"
podman volume create "$volume" >/dev/null
# Host networking (this machine has no bridge to publish through); loopback only.
if podman run -d --name "$name" --network host -e HOST=127.0.0.1 -e PORT="$port" -e SEAL_SIM_API_KEYS="$api_key" \
     -v "$volume:/data" "$image" >/dev/null 2>"$work/run.err"; then
  # (podman without systemd says it cannot schedule the healthcheck timer; `podman healthcheck run` below still runs it)
  pass "container starts"
else
  fail "podman run failed: $(grep -v systemd "$work/run.err" | head -5)"; summary; exit 1
fi

wait_healthy() {
  local deadline=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if curl -fsS --max-time 2 "$url/_simulator/health" >/dev/null 2>&1; then return 0; fi
    if [ "$(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then return 1; fi
    sleep 0.5
  done
  return 1
}

if wait_healthy 60; then pass "/_simulator/health answers 200"; else fail "not healthy within 60 s"; summary; exit 1; fi
if podman healthcheck run "$name" >/dev/null 2>&1; then pass "the image's HEALTHCHECK passes"; else fail "podman healthcheck run failed"; fi
uid=$(podman exec "$name" id -u 2>/dev/null)
[ "$uid" = "1000" ] && pass "process runs as uid 1000 (node)" || fail "process runs as uid '$uid'"

# The lifecycle walk, in Node (its fetch and the package's own yazl make the ZIP).
cat >"$work/walk.mjs" <<'JS'
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
const [, , repo, url, key, phase, batchId] = process.argv;
const yazl = createRequire(`${repo}/package.json`)('yazl');
const headers = { 'API-KEY': key };
const out = (ok, what) => console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
const call = async (method, path, body, extra = {}) => fetch(`${url}${path}`, { method, body, headers: { ...headers, ...extra }, signal: AbortSignal.timeout(10_000) });
const pdf = (text) => {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${`BT /F1 18 Tf 20 70 Td (${text}) Tj ET`.length} >>\nstream\nBT /F1 18 Tf 20 70 Td (${text}) Tj ET\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  let s = '%PDF-1.4\n'; const offs = [];
  objs.forEach((b, i) => { offs.push(s.length); s += `${i + 1} 0 obj\n${b}\nendobj\n`; });
  const x = s.length; s += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offs) s += `${String(o).padStart(10, '0')} 00000 n \n`;
  return Buffer.from(`${s}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`, 'latin1');
};
const zip = () => new Promise((resolve, reject) => {
  const z = new yazl.ZipFile(); const chunks = [];
  z.addBuffer(pdf('container one'), 'one.pdf'); z.addBuffer(pdf('container two'), 'two.pdf'); z.end();
  z.outputStream.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
});
const statusOf = async (id) => (await (await call('GET', `/api/BatchStatus/${id}`)).json()).status;
const waitClosed = async (id) => {
  const deadline = Date.now() + 30_000; let s;
  while (Date.now() < deadline) { s = await statusOf(id); if (s === 'CLOSED') return s; await new Promise((r) => setTimeout(r, 200)); }
  return s;
};
const download = async (id) => {
  const r = await call('GET', `/api/batchfile/${id}`);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, zip: body.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')), sha: createHash('sha256').update(body).digest('hex'), size: body.length };
};
try {
  if (phase === 'walk') {
    const unauth = await fetch(`${url}/api/CreateBatch/1`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    out(unauth.status === 401, `CreateBatch without API-KEY answers 401 (got ${unauth.status})`);
    const created = await call('POST', '/api/CreateBatch/1');
    const batch = await created.json();
    out(created.status === 201, `CreateBatch/1 answers 201 (got ${created.status}, id ${batch.id})`);
    const id = batch.id;
    const up = await call('POST', `/api/upload/${id}`, await zip(), { 'content-type': 'application/octet-stream' });
    out(up.status === 202, `upload of a 2-file ZIP answers 202 (got ${up.status})`);
    const acc = await call('POST', `/api/AcceptBatch/${id}`);
    out(acc.status === 200, `AcceptBatch answers 200 (got ${acc.status})`);
    const s = await waitClosed(id);
    out(s === 'CLOSED', `the batch reaches CLOSED (last status ${s})`);
    const d = await download(id);
    out(d.status === 200 && d.zip, `batchfile downloads a ZIP (status ${d.status}, ${d.size} bytes)`);
    console.log(`ID ${id}`); console.log(`SHA ${d.sha}`);
  } else {
    const s = await statusOf(batchId);
    out(s === 'CLOSED', `after the restart batch ${batchId} is still CLOSED (got ${s})`);
    const d = await download(batchId);
    out(d.status === 200 && d.zip, `after the restart batchfile still downloads (status ${d.status})`);
    console.log(`SHA ${d.sha}`);
  }
} catch (e) { out(false, `${phase}: ${e.message}`); }
JS

count_walk() { # reads walk.mjs output, counts PASS/FAIL lines
  while IFS= read -r line; do
    case "$line" in
      PASS\ *) pass "${line#PASS }" ;;
      FAIL\ *) fail "${line#FAIL }" ;;
    esac
  done <"$1"
}

timeout 90 node "$work/walk.mjs" "$repo" "$url" "$api_key" walk >"$work/walk.txt" 2>&1 || true
count_walk "$work/walk.txt"
if ! grep -q '^ID ' "$work/walk.txt"; then
  fail "the lifecycle walk did not finish; its output:"
  sed 's/^/    /' "$work/walk.txt" | head -20
fi
batch_id=$(sed -n 's/^ID //p' "$work/walk.txt")
sha_before=$(sed -n 's/^SHA //p' "$work/walk.txt")

# ---- restart ------------------------------------------------------------------------------------
stop_start=$(date +%s)
podman stop -t 20 "$name" >/dev/null 2>&1
stop_secs=$(( $(date +%s) - stop_start ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$name" 2>/dev/null)
if [ "$exit_code" = "0" ] && [ "$stop_secs" -lt 15 ]; then
  pass "podman stop: SIGTERM, exit 0 after ${stop_secs} s"
else
  fail "podman stop: exit code '$exit_code' after ${stop_secs} s (want 0, well within the 20 s grace)"
fi
if podman logs "$name" 2>&1 | grep -q '"msg":"stopped"'; then pass "the log shows a graceful stop"; else fail "no 'stopped' line in the log"; fi
if podman start "$name" >/dev/null 2>&1 && wait_healthy 60; then pass "restarted container is healthy"; else fail "restart failed"; fi

if [ -n "$batch_id" ]; then
  timeout 60 node "$work/walk.mjs" "$repo" "$url" "$api_key" check "$batch_id" >"$work/check.txt" 2>&1 || true
  count_walk "$work/check.txt"
  sha_after=$(sed -n 's/^SHA //p' "$work/check.txt")
  if [ -n "$sha_after" ] && [ "$sha_after" = "$sha_before" ]; then pass "the signed package is byte-identical after the restart"; else fail "package changed or missing after restart ($sha_before → $sha_after)"; fi
else
  fail "no batch to check after the restart"
fi
if podman run --rm --network host -v "$volume:/data" --entrypoint sh "$image" -c 'test -s /data/seal-simulator.sqlite' >/dev/null 2>&1; then
  pass "the SQLite database lives in the volume"
else
  fail "no /data/seal-simulator.sqlite in the volume"
fi

# ---- compose ------------------------------------------------------------------------------------
# The repository's docker-compose.yml as it stands, under a project name of its own, with two files
# layered on it: docs/shipping.md's depends_on example for an app (read from the document by its
# marker), and this run's image for both services (podman-compose would otherwise build in the OCI
# format, which drops HEALTHCHECK) plus the app's script. The simulator is then checked through
# its published loopback port; the app talks to it as http://seal-simulator:8080.
podman stop -t 10 "$name" >/dev/null 2>&1
compose_start=$(date +%s)
project="sealsimtest$$"
hport=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$work/app"
cp "$repo/fixtures/documents.zip" "$work/app/documents.zip"
if ! (cd "$repo" && npx --no-install tsx -e "import('./test/helpers/doc-blocks.ts').then((m) => process.stdout.write(m.docBlock('compose-depends-on')))") >"$work/compose.app.yml" 2>"$work/compose.app.err"; then
  fail "could not read the compose-depends-on block of docs/shipping.md: $(head -c 300 "$work/compose.app.err")"
fi
cat >"$work/compose.test.yml" <<YAML
services:
  seal-simulator:
    image: $image
  app:
    image: $image
    entrypoint: ["node", "/seal-app/app.mjs"]
    volumes:
      - $work/app:/seal-app:ro
    restart: "no"
YAML
# The app: waits for the simulator (podman-compose 1.0 starts services in depends_on order but does
# not wait for service_healthy; Docker Compose does), then seals fixtures/documents.zip.
cat >"$work/app/app.mjs" <<'JS'
import { readFile } from 'node:fs/promises';
const base = process.env.SEAL_BASE_URL;
const headers = { 'API-KEY': 'compose-app' };
const deadline = Date.now() + 60_000;
for (;;) {
  try { if ((await fetch(`${base}/_simulator/health`)).ok) break; } catch { /* not up yet */ }
  if (Date.now() > deadline) { console.log(`APP FAIL ${base} never healthy`); process.exit(1); }
  await new Promise((r) => setTimeout(r, 500));
}
const call = (path, init = {}) => fetch(base + path, { ...init, headers: { ...headers, ...init.headers } });
const { id } = await (await call('/api/CreateBatch/1', { method: 'POST' })).json();
await call(`/api/upload/${id}`, { method: 'POST', body: await readFile('/seal-app/documents.zip'), headers: { 'Content-Type': 'application/octet-stream' } });
await call(`/api/AcceptBatch/${id}`, { method: 'POST' });
let status;
for (let i = 0; i < 120 && status !== 'CLOSED'; i++) {
  status = (await (await call(`/api/BatchStatus/${id}`)).json()).status;
  if (status !== 'CLOSED') await new Promise((r) => setTimeout(r, 250));
}
const zip = Buffer.from(await (await call(`/api/batchfile/${id}`)).arrayBuffer());
const ok = status === 'CLOSED' && zip.subarray(0, 2).toString() === 'PK';
console.log(`APP ${ok ? 'OK' : 'FAIL'} batch ${id} ${status} ${zip.length} bytes`);
process.exit(ok ? 0 : 1);
JS
compose_files=(-p "$project" -f "$repo/docker-compose.yml" -f "$work/compose.app.yml" -f "$work/compose.test.yml")
compose_up=1
if SEAL_SIM_HOST_PORT="$hport" timeout 180 podman-compose "${compose_files[@]}" up -d >"$work/compose-up.log" 2>&1; then
  pass "podman-compose up -d (docker-compose.yml + the docs' app), host port $hport"
else
  fail "podman-compose up failed; last lines:"; tail -20 "$work/compose-up.log" | sed 's/^/    /'
fi
sim_c=$(podman ps -a --format '{{.Names}}' | grep "^${project}_seal-simulator" | head -1)
app_c=$(podman ps -a --format '{{.Names}}' | grep "^${project}_app" | head -1)
# No systemd here to run the healthcheck timer: run the check the way the timer would.
healthy=""
deadline=$(( $(date +%s) + 90 ))
while [ -n "$sim_c" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  podman healthcheck run "$sim_c" >/dev/null 2>&1
  state=$(podman inspect --format '{{.State.Health.Status}}' "$sim_c" 2>/dev/null)
  if [ "$state" = "healthy" ]; then healthy=1; break; fi
  sleep 1
done
if [ -n "$healthy" ]; then pass "compose service is (healthy) after $(( $(date +%s) - compose_start )) s"; else fail "compose service not healthy within 90 s (state '${state:-none}')"; fi
published=$(podman port "$sim_c" 2>/dev/null | tr '\n' ' ')
case "$published" in
  "8080/tcp -> 127.0.0.1:$hport "*) pass "published on 127.0.0.1:$hport only ($published)" ;;
  *) fail "published as '$published', want 8080/tcp -> 127.0.0.1:$hport" ;;
esac
url="http://127.0.0.1:$hport"
timeout 90 node "$work/walk.mjs" "$repo" "$url" "$api_key" walk >"$work/compose-walk.txt" 2>&1 || true
sed -i 's/^PASS /PASS compose: /; s/^FAIL /FAIL compose: /' "$work/compose-walk.txt"
count_walk "$work/compose-walk.txt"
app_deadline=$(( $(date +%s) + 90 ))
while [ -n "$app_c" ] && [ "$(podman inspect --format '{{.State.Running}}' "$app_c" 2>/dev/null)" = "true" ] && [ "$(date +%s)" -lt "$app_deadline" ]; do sleep 1; done
app_exit=$(podman inspect --format '{{.State.ExitCode}}' "$app_c" 2>/dev/null)
app_log=$(podman logs "$app_c" 2>&1 | grep '^APP' | tail -1)
if [ "$app_exit" = "0" ] && printf '%s' "$app_log" | grep -q '^APP OK'; then
  pass "the app of docs/shipping.md reached seal-simulator:8080 and sealed a batch ($app_log)"
else
  fail "the app exited '$app_exit': $(podman logs "$app_c" 2>&1 | tail -5 | tr '\n' ' ')"
fi
# podman-compose 1.0's down -v removes the project's named volumes, not a container's anonymous
# ones (the image declares VOLUME /data): note them first.
anon_volumes=$(podman inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' $sim_c $app_c 2>/dev/null)
if timeout 120 podman-compose "${compose_files[@]}" down -v >"$work/compose-down.log" 2>&1; then
  compose_up=""
  podman network rm -f "${project}_default" >/dev/null 2>&1
  for v in $anon_volumes; do podman volume rm -f "$v" >/dev/null 2>&1; done
  [ -z "$(podman volume ls -q --filter "label=io.podman.compose.project=$project")" ] && pass "podman-compose down -v removed its volumes" || fail "volumes of $project left after down -v"
  left=$(podman ps -a --format '{{.Names}}' | grep -c "^${project}_")
  [ "$left" = "0" ] && pass "podman-compose down removed its containers" || fail "$left containers left after down"
else
  fail "podman-compose down failed: $(tail -5 "$work/compose-down.log")"
fi
say "compose part: $(( $(date +%s) - compose_start )) s"

summary
[ "$failed" -eq 0 ]
