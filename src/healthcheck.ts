/**
 * The container's health check (the image's HEALTHCHECK and docker-compose.yml's healthcheck run
 * `node dist/src/healthcheck.js`): exits 0 when GET /_simulator/health on this container's PORT
 * answers 200 within 4 s, else 1 with one line saying why. A script file run in exec form needs no
 * shell, so Docker and podman (and their compose tools) run it identically; no curl in the image.
 */
const port = process.env.PORT || '8080';
const url = `http://127.0.0.1:${port}/_simulator/health`;

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  await res.arrayBuffer();
  if (res.status !== 200) {
    console.error(`unhealthy: ${url} answered ${res.status}`);
    process.exit(1);
  }
  process.exit(0);
} catch (e) {
  console.error(`unhealthy: ${url}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
