// The dashboard page: the poles drawn on a plane by their coordinates (SVG), coloured by presence
// and active alarms, and the selected pole's devices with their latest values. It reads the API
// every POLL_MS (the event stream replaces this once the cloud serves /api/stream).
import { api, signIn } from './auth.js';

const POLL_MS = 2000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const VIEW = { width: 1000, height: 700, margin: 40 };

const map = document.getElementById('map');
const poleSection = document.getElementById('pole');
const signInForm = document.getElementById('sign-in');
const circles = new Map();
let timer;

/** Every pole, following the list's pages. */
async function allPoles() {
  const poles = [];
  let cursor;
  do {
    const res = await api(`/api/poles?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!res.ok) throw new Error(`GET /api/poles answered ${res.status}`);
    const page = await res.json();
    poles.push(...page.poles);
    cursor = page.next;
  } while (cursor);
  return poles;
}

function colourOf(pole) {
  return pole.activeAlarms > 0 ? 'alarm' : pole.state;
}

/** Longitude and latitude onto the view, east to the right, north up; lon scaled by cos(lat) so distances look right. */
function projection(located) {
  const lats = located.map((p) => p.location.lat);
  const meanLat = lats.reduce((a, b) => a + b, 0) / lats.length;
  const k = Math.cos((meanLat * Math.PI) / 180);
  const xs = located.map((p) => p.location.lon * k);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...lats), Math.max(...lats)];
  const span = Math.max(maxX - minX, maxY - minY, 1e-6);
  const scale = Math.min((VIEW.width - 2 * VIEW.margin) / span, (VIEW.height - 2 * VIEW.margin) / span);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return (loc) => [VIEW.width / 2 + (loc.lon * k - cx) * scale, VIEW.height / 2 - (loc.lat - cy) * scale];
}

function drawMap(poles) {
  map.setAttribute('viewBox', `0 0 ${VIEW.width} ${VIEW.height}`);
  // Poles without a location yet (no birth) wait in a row along the bottom edge.
  const located = poles.filter((p) => p.location);
  const place = located.length ? projection(located) : undefined;
  let unplaced = 0;
  const seen = new Set();
  for (const pole of poles) {
    seen.add(pole.id);
    let mark = circles.get(pole.id);
    if (!mark) {
      const g = document.createElementNS(SVG_NS, 'g');
      const circle = document.createElementNS(SVG_NS, 'circle');
      circle.setAttribute('r', '8');
      circle.dataset.pole = pole.id;
      circle.addEventListener('click', () => (location.hash = `pole=${encodeURIComponent(pole.id)}`));
      const title = document.createElementNS(SVG_NS, 'title');
      const label = document.createElementNS(SVG_NS, 'text');
      label.textContent = pole.id;
      circle.append(title);
      g.append(circle, label);
      map.append(g);
      mark = { g, circle, title, label };
      circles.set(pole.id, mark);
    }
    const [x, y] = pole.location && place ? place(pole.location) : [VIEW.margin + 20 * unplaced++, VIEW.height - 10];
    mark.circle.setAttribute('cx', String(x));
    mark.circle.setAttribute('cy', String(y));
    mark.label.setAttribute('x', String(x + 11));
    mark.label.setAttribute('y', String(y + 4));
    mark.circle.setAttribute('class', `${colourOf(pole)}${selectedPole() === pole.id ? ' selected' : ''}`);
    mark.circle.dataset.state = colourOf(pole);
    mark.title.textContent = `${pole.id}: ${pole.state}${pole.activeAlarms ? `, ${pole.activeAlarms} active alarm(s)` : ''}`;
  }
  for (const [id, mark] of circles) {
    if (!seen.has(id)) {
      mark.g.remove();
      circles.delete(id);
    }
  }
}

function selectedPole() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.get('pole') ?? undefined;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function formatValue(latest) {
  if (!latest) return '—';
  return typeof latest.value === 'number' ? String(Math.round(latest.value * 1000) / 1000) : String(latest.value);
}

/** Alarms whose newest message is "raised" (the list is newest first). */
function activeAlarms(alarms) {
  const newest = new Map();
  for (const alarm of alarms) if (!newest.has(alarm.id)) newest.set(alarm.id, alarm);
  return [...newest.values()].filter((a) => a.state === 'raised');
}

const snapshotUrls = new Map();
async function snapshotImage(ref) {
  if (!snapshotUrls.has(ref)) {
    const res = await api(`/api/blobs/${encodeURIComponent(ref.replace(/^sha256:/, ''))}`);
    snapshotUrls.set(ref, res.ok ? URL.createObjectURL(await res.blob()) : undefined);
  }
  const url = snapshotUrls.get(ref);
  return url ? el('img', { src: url, alt: 'camera snapshot' }) : el('span', {}, 'snapshot not stored');
}

async function drawPole(id) {
  const res = await api(`/api/poles/${encodeURIComponent(id)}`);
  if (res.status === 404) {
    poleSection.replaceChildren(el('h2', {}, id), el('p', {}, 'This pole has not reported yet.'));
    return;
  }
  if (!res.ok) throw new Error(`GET /api/poles/${id} answered ${res.status}`);
  const pole = await res.json();
  const alarmsRes = await api(`/api/poles/${encodeURIComponent(id)}/alarms?limit=200`);
  const alarms = alarmsRes.ok ? activeAlarms((await alarmsRes.json()).alarms) : [];

  const rows = pole.devices.flatMap((device) => device.metrics.map((metric) => el('tr', { 'data-metric': `${device.id}/${metric.name}` },
    el('td', {}, device.id),
    el('td', {}, metric.name),
    el('td', { class: 'value' }, formatValue(metric.latest)),
    el('td', {}, metric.unit ?? ''),
    el('td', { class: `quality-${metric.latest?.quality ?? 'none'}` }, metric.latest?.quality ?? '—'),
    el('td', {}, metric.latest ? new Date(metric.latest.ts).toLocaleTimeString() : ''),
  )));
  const alarmRows = await Promise.all(alarms.map(async (a) => el('tr', { class: 'alarm-row' },
    el('td', {}, a.severity),
    el('td', {}, `${a.rule} (${a.device}/${a.metric} = ${a.value})`),
    el('td', {}, new Date(a.ts).toLocaleTimeString()),
    el('td', {}, a.snapshot ? await snapshotImage(a.snapshot) : ''),
  )));
  poleSection.replaceChildren(
    el('h2', {}, `${pole.id} `, el('span', { class: `state ${pole.state}`, 'data-state': pole.state }, pole.state)),
    el('p', {}, pole.location ? `lat ${pole.location.lat}, lon ${pole.location.lon}` : 'no location yet',
      pole.lastSeen ? ` · last seen ${new Date(pole.lastSeen).toLocaleTimeString()}` : ''),
    el('h3', {}, 'Active alarms'),
    alarmRows.length ? el('table', { id: 'alarms' }, ...alarmRows) : el('p', {}, 'none'),
    el('h3', {}, 'Devices'),
    el('table', { id: 'values' }, el('tr', {}, ...['device', 'metric', 'value', 'unit', 'quality', 'at'].map((h) => el('th', {}, h))), ...rows),
  );
}

async function refresh() {
  clearTimeout(timer);
  try {
    drawMap(await allPoles());
    const id = selectedPole();
    poleSection.hidden = !id;
    if (id) await drawPole(id);
    document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.ready = 'true';
  } catch (err) {
    if (err.message === 'unauthorized') {
      signInForm.hidden = false;
      return; // polling resumes after signing in
    }
    document.getElementById('updated').textContent = `could not refresh: ${err.message}`;
  }
  timer = setTimeout(refresh, POLL_MS);
}

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(signInForm);
  if (await signIn(String(form.get('username')), String(form.get('password')))) {
    signInForm.hidden = true;
    document.getElementById('sign-in-error').textContent = '';
    refresh();
  } else {
    document.getElementById('sign-in-error').textContent = 'wrong user or password';
  }
});
window.addEventListener('hashchange', refresh);
refresh();
