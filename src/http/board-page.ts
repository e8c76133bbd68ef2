/**
 * The batch board page. Self-contained (inline CSS and script, no CDN, no build step) so it works
 * offline and inside the container. It polls /_simulator/state and calls the control API.
 */
export const BOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>seal-simulator · batch board</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#6b7383; --line:#e3e6ec; --accent:#2459d6; --ok:#1a7f45; --bad:#c0392b; --warn:#b7791f; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:#1d2330; color:#fff; }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  header .meta { color:#c4cad6; font-size:12px; }
  header .live { margin-left:auto; font-size:12px; }
  header a { color:#9fbaff; }
  main { padding:16px 20px; display:grid; gap:16px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
  h2 { font-size:14px; margin:0 0 8px; display:flex; align-items:center; gap:10px; flex-wrap:wrap; }
  h2 .sub { color:var(--muted); font-weight:400; font-size:12px; }
  table { width:100%; border-collapse:collapse; }
  th, td { text-align:left; padding:5px 8px; border-top:1px solid var(--line); vertical-align:top; font-size:13px; }
  th { color:var(--muted); font-weight:500; border-top:none; }
  .status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#e8ecf5; }
  .s-CLOSED { background:#dff3e7; color:var(--ok); } .s-DELETED { background:#eee; color:#777; }
  .s-IN_PROGRESS, .s-READY, .s-ACCEPTED, .s-FINISHING { background:#fff3d6; color:var(--warn); }
  .file { white-space:nowrap; } .ok { color:var(--ok); } .bad { color:var(--bad); }
  .fs { display:inline-block; min-width:68px; font-size:11px; font-weight:600; text-transform:uppercase; letter-spacing:.02em; }
  .fs-signed, .fs-succeeded { color:var(--ok); } .fs-failed { color:var(--bad); } .fs-pending { color:var(--muted); }
  .legend { color:var(--muted); font-size:12px; margin:0; } .legend .fs { min-width:0; margin-right:4px; }
  .tid { color:var(--muted); font-weight:400; }
  button { font:inherit; font-size:12px; padding:3px 9px; border-radius:5px; border:1px solid #c9cfda; background:#fff; cursor:pointer; }
  button:hover { border-color:var(--accent); color:var(--accent); }
  button.danger:hover { border-color:var(--bad); color:var(--bad); }
  .empty { color:var(--muted); font-style:italic; }
  code { font-size:12px; }
  #toast { position:fixed; bottom:16px; right:16px; background:#1d2330; color:#fff; padding:8px 12px; border-radius:6px; opacity:0; transition:opacity .2s; }
  #toast.show { opacity:.95; }
</style>
</head>
<body>
<header>
  <h1>seal-simulator · batch board</h1>
  <span class="meta" id="meta"></span>
  <span class="live" id="live">connecting…</span>
  <span class="meta">times in UTC</span>
  <a href="/docs">API explorer</a>
</header>
<main>
  <section id="legend"><p class="legend">Statuses are the names BatchStatus reports (status table <span id="table"></span>).
    Files, as BatchStatus's documents say:
    <span class="fs fs-signed">signed</span> signed "true" ·
    <span class="fs fs-failed">failed</span> signingResult_Success "false" after processing ·
    <span class="fs fs-pending">pending</span> not processed yet ·
    <span class="fs fs-succeeded">succeeded</span> signingResult_Success "true", signed "false" (a validate process checks, it does not seal).
    A tenant is shown by its API key's last characters.</p></section>
  <div id="tenants"></div>
  <section><h2>Active faults <span class="sub" id="seed"></span></h2><div id="faults"></div></section>
  <section><h2>Latest requests <span class="sub" id="jstats"></span></h2><div id="journal"></div></section>
</main>
<div id="toast"></div>
<script>
// The board reads and acts on every tenant (scope=all). The admin token, when one is set, travels
// in the HttpOnly cookie the server set when the page was opened with ?token=, never in a URL.
const q = (extra) => { const p = new URLSearchParams(extra || {}); p.set('scope', 'all'); return '?' + p.toString(); };
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&':'&amp;', '<':'&lt;', '>':'&gt;', '"':'&quot;', "'":'&#39;' })[c]);
/** The one time format of the page: UTC, as the API writes dates (yyyy-MM-dd HH:mm:ss). */
const utc = (iso) => esc(String(iso ?? '').replace('T', ' ').slice(0, 19));
const dur = (ms) => ms < 1000 ? ms + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s' : ms < 3600000 ? Math.floor(ms / 60000) + ' min ' + Math.floor(ms % 60000 / 1000) + ' s' : (ms / 3600000).toFixed(1) + ' h';
function toast(text) { const t = document.getElementById('toast'); t.textContent = text; t.className = 'show'; setTimeout(() => t.className = '', 2200); }
async function call(method, path, body, extra) {
  const res = await fetch('/_simulator' + path + q(extra), { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  if (!res.ok && res.status !== 204) { const p = await res.json().catch(() => ({})); toast(p.detail || ('HTTP ' + res.status)); }
  await refresh();
}
const actions = {
  advance: (id) => call('POST', '/batches/' + id + '/advance'),
  close: (id) => call('POST', '/batches/' + id + '/advance', { to: 'CLOSED' }),
  fail: (id, tenant) => call('POST', '/faults', { tenant, route: 'BatchStatus', batchId: Number(id), kind: 'status', status: 500, detail: 'Failed from the batch board' }).then(() => toast('The next BatchStatus call for batch ' + id + ' answers 500')),
  forget: (id) => call('DELETE', '/batches/' + id),
  reset: (tenant) => call('POST', '/reset', { tenant }),
  clock: (tenant, by) => call('POST', '/clock/advance', { by }, { tenant }),
  unfault: (id) => call('DELETE', '/faults/' + encodeURIComponent(id)),
};
document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-act]'); if (!b) return;
  actions[b.dataset.act](b.dataset.id, b.dataset.tenant || b.dataset.by, b.dataset.by);
});
function render(state) {
  document.getElementById('meta').textContent = 'timing: ' + state.timing + ' · ' + state.tenants.length + ' tenant(s)';
  document.getElementById('seed').textContent = 'fault seed ' + state.seed;
  document.getElementById('table').textContent = state.statusTable;
  const js = state.journalStats; document.getElementById('jstats').textContent = js.entries + ' kept · ' + Math.round(js.bytes / 1024) + ' KiB of ' + Math.round(js.maxBytes / 1024) + ' KiB';
  document.getElementById('tenants').innerHTML = state.tenants.length === 0
    ? '<section><h2>No batches yet</h2><p class="empty">Create one with POST /api/CreateBatch/1 and any API-KEY header; it appears here.</p></section>'
    : state.tenants.map((t) => '<section data-tenant="' + esc(t.tenant) + '"><h2>Tenant <span data-label>' + esc(t.label) + '</span> <code class="tid">' + esc(t.tenant) + '</code>'
      + '<span class="sub">clock ' + utc(t.clock.now) + ' · speed ' + t.clock.speed + '×</span>'
      + '<button data-act="clock" data-id="' + esc(t.tenant) + '" data-by="1m">+1 min</button>'
      + '<button data-act="clock" data-id="' + esc(t.tenant) + '" data-by="1h">+1 h</button>'
      + '<button class="danger" data-act="reset" data-id="' + esc(t.tenant) + '">Reset tenant</button></h2>'
      + (t.batches.length === 0 ? '<p class="empty">No batches.</p>' : '<table><thead><tr><th>Batch</th><th>Process</th><th>Status</th><th>In status</th><th>Files</th><th></th></tr></thead><tbody>'
      + t.batches.map((b) => '<tr data-batch="' + b.id + '"><td>#' + b.id + '</td><td>' + b.processId + '</td>'
        + '<td><span class="status s-' + esc(b.apiStatus) + '" data-status>' + esc(b.apiStatus) + '</span></td><td>' + dur(b.timeInStatusMs) + '</td>'
        + '<td>' + (b.documents.map((d) => '<div class="file" data-file="' + esc(d.fileName) + '"><span class="fs fs-' + d.state + '" data-state>' + d.state + '</span> ' + esc(d.fileName) + '</div>').join('') || '<span class="empty">no package</span>') + '</td>'
        + '<td>' + (!b.package || ['CLOSED', 'DELETED'].includes(b.status) ? '' : '<button data-act="advance" data-id="' + b.id + '">Advance</button> <button data-act="close" data-id="' + b.id + '">To CLOSED</button> ')
        + '<button data-act="fail" data-id="' + b.id + '" data-tenant="' + esc(t.tenant) + '">Fail next poll</button> <button class="danger" data-act="forget" data-id="' + b.id + '">Forget</button></td></tr>').join('')
      + '</tbody></table>') + '</section>').join('');
  document.getElementById('faults').innerHTML = state.faults.length === 0 ? '<p class="empty">None. Add some with POST /_simulator/faults or a Prefer header.</p>'
    : '<table><thead><tr><th>Id</th><th>Kind</th><th>Route</th><th>Tenant</th><th>Batch / file</th><th>Left</th><th>Fired</th><th></th></tr></thead><tbody>'
      + state.faults.map((f) => '<tr><td>' + esc(f.id) + '</td><td>' + esc(f.kind) + '</td><td>' + esc(f.route) + '</td><td>' + esc(f.tenant || 'all') + '</td><td>' + esc(f.batchId ?? '') + ' ' + esc(f.fileName ?? '') + '</td><td>' + (f.remaining ?? ('p=' + f.probability)) + '</td><td>' + f.fired + '</td><td><button data-act="unfault" data-id="' + esc(f.id) + '">Remove</button></td></tr>').join('') + '</tbody></table>';
  document.getElementById('journal').innerHTML = state.journal.length === 0 ? '<p class="empty">No vendor-API requests yet.</p>'
    : '<table><thead><tr><th>#</th><th>Time (UTC)</th><th>Tenant</th><th>Request</th><th>Status</th><th>ms</th><th>Fault</th></tr></thead><tbody>'
      + state.journal.slice().reverse().map((e) => '<tr><td>' + e.seq + '</td><td>' + utc(e.at) + '</td><td title="' + esc(e.tenant) + '">' + esc(e.tenantLabel) + '</td><td><code>' + esc(e.method + ' ' + e.path) + '</code></td><td class="' + (e.status >= 400 || e.status === 0 ? 'bad' : 'ok') + '">' + (e.status || '—') + '</td><td>' + e.latencyMs + '</td><td>' + esc(e.fault ?? '') + '</td></tr>').join('') + '</tbody></table>';
}
async function refresh() {
  try {
    const res = await fetch('/_simulator/state' + q());
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const state = await res.json();
    render(state);
    document.getElementById('live').innerHTML = 'live · updated ' + utc(state.at);
  } catch (e) { document.getElementById('live').textContent = 'disconnected (' + e.message + ')'; }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
