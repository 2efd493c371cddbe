// The status page: one HTML document with its script inline, no build step and nothing fetched from
// anywhere but this server. It reads /api/status every second and redraws; a field laptop on the
// pole's Ethernet port has no Internet. Text is set with textContent, never as HTML: device errors
// and event fields come from devices and networks.
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>polegate status</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em; color: #111; background: #fafafa; }
h1 { font-size: 1.3em; margin: 0 0 .3em; } h2 { font-size: 1.05em; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; background: #fff; } td, th { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }
.ok { color: #060; font-weight: 600; } .bad { color: #b00; font-weight: 600; } .warn { color: #a60; font-weight: 600; }
.muted { color: #666; } #stale { display: none; background: #b00; color: #fff; padding: .3em .6em; }
img { max-width: 320px; border: 1px solid #ccc; }
</style></head>
<body>
<div id="stale">The agent does not answer: these facts are not live.</div>
<h1>Pole <span id="pole">…</span></h1>
<div class="muted">updated <span id="updated">never</span></div>
<h2>Uplink</h2><table><tbody id="uplink"></tbody></table>
<h2>Outbox</h2><table><tbody id="outbox"></tbody></table>
<h2>Buses</h2><table><thead><tr><th>bus</th><th>port</th><th>state</th><th>last error</th></tr></thead><tbody id="buses"></tbody></table>
<h2>Devices</h2><table><thead><tr><th>device</th><th>driver</th><th>link</th><th>health</th><th>last error</th><th>values</th></tr></thead><tbody id="devices"></tbody></table>
<h2>Active alarms</h2><table><thead><tr><th>alarm</th><th>rule</th><th>device.metric</th><th>severity</th><th>value</th><th>since</th></tr></thead><tbody id="alarms"></tbody></table>
<section id="cameras-section" hidden><h2>Cameras</h2><div id="cameras"></div></section>
<h2>Recent events</h2><table><thead><tr><th>time</th><th>type</th><th>device</th><th>details</th></tr></thead><tbody id="events"></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
const time = (ts) => ts === undefined || ts === null ? '' : new Date(ts).toLocaleString();
const ago = (ms) => ms < 1000 ? 'now' : ms < 120000 ? Math.round(ms / 1000) + ' s' : ms < 7200000 ? Math.round(ms / 60000) + ' min' : Math.round(ms / 3600000) + ' h';
function cell(text, cls) { const td = document.createElement('td'); td.textContent = text === undefined || text === null ? '' : String(text); if (cls) td.className = cls; return td; }
function row(cells) { const tr = document.createElement('tr'); for (const c of cells) tr.append(c instanceof Node ? c : cell(c)); return tr; }
function fill(id, rows, empty) { const body = $(id); body.replaceChildren(...rows); if (rows.length === 0) body.append(row([cell(empty, 'muted')])); }
function value(r) { return (typeof r.value === 'number' ? Number(r.value.toPrecision(6)) : r.value) + (r.unit ? ' ' + r.unit : ''); }
function render(s) {
  $('pole').textContent = s.pole;
  $('updated').textContent = time(s.now);
  const u = s.uplink;
  fill('uplink', [
    row(['state', cell(u.connected ? 'connected' : 'down for ' + ago(s.now - u.since), u.connected ? 'ok' : 'bad')]),
    row(['broker', u.broker || u.brokers.join(', ')]),
    row(['reconnects', u.reconnects]),
    ...(u.lastReason ? [row(['last disconnect', u.lastReason])] : []),
  ]);
  const o = s.outbox;
  fill('outbox', [
    row(['unsent messages', o.messages + ' (alarms ' + o.pending.alarm + ', events ' + o.pending.event + ', readings ' + o.pending.telemetry + ')']),
    row(['oldest unsent', o.oldestUnsentTs === undefined ? 'nothing waiting' : ago(s.now - o.oldestUnsentTs) + ' old (' + time(o.oldestUnsentTs) + ')']),
    row(['in flight', o.inFlight]),
    row(['file', Math.round(o.bytes / 1024) + ' KiB']),
    row(['evicted', o.evicted.readings + ' readings, ' + o.evicted.events + ' events']),
  ]);
  fill('buses', s.buses.map((b) => row([b.id, b.port, cell(b.up ? 'up' : 'down since ' + time(b.downSince), b.up ? 'ok' : 'bad'), b.lastError])), 'no serial buses');
  fill('devices', s.devices.map((d) => {
    const health = cell(d.health, d.health === 'online' ? 'ok' : d.health === 'waiting' ? 'muted' : d.health === 'failing' ? 'warn' : 'bad');
    const values = cell('');
    for (const r of d.values) { const line = document.createElement('div'); line.textContent = r.metric + ' = ' + value(r) + (r.quality === 'good' ? '' : ' [' + r.quality + ']'); if (r.quality !== 'good') line.className = 'warn'; values.append(line); }
    const tr = row([d.id, d.driver, d.link, health, d.lastError ? d.lastError.message + ' (' + time(d.lastError.ts) + ')' : '', values]);
    tr.dataset.device = d.id;
    return tr;
  }), 'no devices');
  fill('alarms', s.alarms.map((a) => row([a.id, a.rule, a.device + '.' + a.metric, cell(a.severity, 'bad'), a.value, time(a.ts)])), 'none');
  $('cameras-section').hidden = s.cameras.length === 0;
  $('cameras').replaceChildren(...s.cameras.map((c) => {
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = c.device + ', ' + time(c.ts) + (c.image ? '' : ' (already sent to the cloud)');
    if (c.image) { const img = document.createElement('img'); img.src = c.image; img.alt = 'snapshot of ' + c.device; figure.append(img); }
    figure.append(caption);
    return figure;
  }));
  fill('events', s.events.map((e) => {
    const { type, device, ts, ...rest } = e;
    return row([time(ts), type, device, JSON.stringify(rest)]);
  }), 'none yet');
}
async function refresh() {
  try {
    const res = await fetch('/api/status', { cache: 'no-store' });
    if (!res.ok) throw new Error(res.status);
    render(await res.json());
    $('stale').style.display = 'none';
  } catch { $('stale').style.display = 'block'; }
  setTimeout(refresh, 1000);
}
refresh();
</script>
</body></html>
`;
