// Boot, sign-in and the live connection. The page asks /api/me; with a session it loads the
// layout and opens the WebSocket, which sends a hello and then deltas of each kind (tracks,
// alerts, incidents, links) only when they change. A dropped socket is retried with backoff
// (1 s doubling to 10 s); before each retry /api/me tells whether the session is still valid,
// and a 401 brings the login form back instead of retrying forever.

import { MapView } from './map.js';
import { TrackStore, TrackLayer } from './tracks.js';
import { IncidentLayer } from './overlays.js';
import { IncidentsPanel } from './incidents.js';
import { AlertsPanel, LinksPanel, DetailsPanel } from './panels.js';
import { h, setChildren, fmtTime } from './util.js';
import { beep, soundEnabled, setSound } from './sound.js';
import { ReplayBar } from './replay.js';
import { MissileLayer } from './missile.js';

const $ = (sel) => document.querySelector(sel);

// ---- HTTP ----

async function call(method, url, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(url, init);
  let parsed = null;
  const text = await r.text();
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: text.slice(0, 300) };
    }
  }
  return { ok: r.ok, status: r.status, body: parsed };
}
const get = (url) => call('GET', url);
const post = (url, body) => call('POST', url, body);

// ---- state ----

const S = {
  me: null, // the signed-in user, from /api/me or /api/login
  ws: null,
  wsWanted: false, // false after logout: a close is then final
  backoffMs: 1000,
  retryTimer: 0,
  now: NaN, // the picture's time from the last message, and when it arrived
  nowAt: 0,
};

const store = new TrackStore();
const msgStats = { lastMs: 0, maxMs: 0 };
const trackLayer = new TrackLayer(store);
const incidentLayer = new IncidentLayer(store);
const map = new MapView($('#map'), {
  onClick: (x, y) => select(trackLayer.hit(x, y)),
});
map.layers.push(trackLayer, incidentLayer);
// Missile early warning (docs/missile.md): overlays and a threats panel; idle without [missile].
const missileLayer = new MissileLayer(map, $('#side'));
map.layers.push(missileLayer);
const replayBar = new ReplayBar($('#replay'), post);

const pictureNow = () => (Number.isFinite(S.now) ? S.now + (performance.now() - S.nowAt) / 1000 : NaN);

const details = new DetailsPanel($('#track-details'), {
  store,
  get,
  onClose: () => select(null),
  onAuthLost: () => authLost(),
  alertsOf: (id) => alerts.byTrack.get(id) ?? [],
  onIncident: (id) => {
    const el = document.querySelector(`.incident[data-id="${CSS.escape(String(id))}"]`);
    el?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  },
});
const incidents = new IncidentsPanel($('#incidents'), $('#incidents-count'), {
  store,
  post,
  onSelect: (id, centre) => select(id, centre),
  onShow: (lat, lon) => map.centreOn(lat, lon),
  onNew: () => {
    if (soundEnabled()) beep();
    updateTitle();
  },
  onAck: () => updateTitle(),
  onAuthLost: () => authLost(),
});
const alerts = new AlertsPanel($('#alerts'), $('#alerts-count'), {
  onSelect: (id, centre) => select(id, centre),
});
const links = new LinksPanel($('#links'), $('#links-count'), {
  post,
  now: pictureNow,
  onAuthLost: () => authLost(),
});

function select(id, centre = false) {
  store.selected = id || null;
  if (store.selected) {
    details.show(store.selected);
    if (centre) {
      const t = store.get(store.selected);
      if (t) map.centreOn(t.lat, t.lon);
    }
  } else {
    details.hide();
  }
  map.requestRender();
}

function updateTitle() {
  const n = incidents.unacked;
  document.title = n ? `(${n}) NEW INCIDENT — Vigil` : 'Vigil';
}

// ---- connection state shown in the top bar ----

function setConn(state, text) {
  const el = $('#conn');
  el.dataset.state = state;
  el.textContent = text ?? { up: 'live', reconnecting: 'reconnecting…', down: 'offline' }[state];
}

// ---- login / session ----

function showLogin(message) {
  $('#login-view').hidden = false;
  $('#logout').hidden = true;
  setChildren($('#whoami'));
  const err = $('#login-error');
  err.hidden = !message;
  err.textContent = message ?? '';
  $('#login-password').value = '';
  ($('#login-user').value ? $('#login-password') : $('#login-user')).focus();
}

function showUser(me) {
  setChildren($('#whoami'), me.user ?? '?', ' ', h('span', { class: 'role' }, `(${me.role ?? '?'})`));
  $('#centre').textContent = [me.centre, me.party].filter(Boolean).join(' · ');
  $('#exercise').hidden = !me.exercise;
  $('#logout').hidden = false;
}

$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = $('#login-submit');
  btn.disabled = true;
  $('#login-error').hidden = true; // a stale error must not answer for this attempt
  try {
    const r = await post('/api/login', { user: $('#login-user').value.trim(), password: $('#login-password').value });
    if (r.ok) {
      startSession(r.body ?? {});
      return;
    }
    let msg = r.body?.error ?? `sign-in failed (HTTP ${r.status})`;
    if (r.status === 429 && r.body?.retry_after_s) msg += ` — try again in ${Math.ceil(r.body.retry_after_s)} s`;
    showLogin(msg);
  } catch (e) {
    showLogin(`cannot reach the centre: ${e.message ?? e}`);
  } finally {
    btn.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  stopSession();
  try {
    await post('/api/logout');
  } catch {
    // Logged out locally anyway; the cookie expires on its own.
  }
  showLogin();
});

async function startSession(me) {
  S.me = me;
  $('#login-view').hidden = true;
  $('#login-error').hidden = true;
  showUser(me);
  loadLayout();
  S.wsWanted = true;
  S.backoffMs = 1000;
  connect();
  missileLayer.start();
}

/** Drops everything from the session: socket, tracks, panels. */
function stopSession() {
  S.me = null;
  S.wsWanted = false;
  clearTimeout(S.retryTimer);
  if (S.ws) {
    S.ws.onclose = null;
    S.ws.close();
    S.ws = null;
  }
  store.clear();
  select(null);
  incidents.reset();
  incidentLayer.set([], NaN);
  missileLayer.stop();
  alerts.reset();
  links.reset();
  setConn('down');
  $('#exercise').hidden = true;
  $('#centre').textContent = '';
  updateTitle();
  map.requestRender();
}

function authLost() {
  if (!S.me) return;
  stopSession();
  showLogin('session expired: sign in again');
}

async function loadLayout() {
  try {
    const r = await get('/data/layout.json');
    if (r.status === 401) return authLost();
    if (!r.ok || !r.body) return;
    map.setLayout(r.body);
    map.fitHome();
  } catch {
    // The map works without the layout: Europe, no airspace.
  }
}

async function loadBasemap() {
  try {
    const r = await fetch('/ui/basemap/countries-50m.json');
    if (!r.ok || !globalThis.topojson) throw new Error(String(r.status));
    map.setBasemap(await r.json());
  } catch {
    const b = $('#banner');
    b.textContent = 'basemap not built in: run `npm ci --prefix ui` and rebuild';
    b.hidden = false;
  }
}

// ---- WebSocket ----

function connect() {
  if (!S.wsWanted) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    return retry();
  }
  S.ws = ws;
  ws.onmessage = (ev) => {
    const t0 = performance.now();
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch {
      return; // a malformed message is dropped, not fatal
    }
    onMessage(m);
    // Parsing and applying a message blocks the page too: measured for the perf figures.
    const ms = performance.now() - t0;
    msgStats.lastMs = ms;
    if (ms > msgStats.maxMs) msgStats.maxMs = ms;
  };
  ws.onclose = () => {
    if (S.ws !== ws) return;
    S.ws = null;
    retry();
  };
}

async function retry() {
  if (!S.wsWanted) return;
  setConn('reconnecting');
  const wait = S.backoffMs;
  S.backoffMs = Math.min(10000, S.backoffMs * 2);
  clearTimeout(S.retryTimer);
  S.retryTimer = setTimeout(async () => {
    if (!S.wsWanted) return;
    // Is the session still valid? A 401 means sign in again, not retry.
    try {
      const r = await get('/api/me');
      if (r.status === 401) return authLost();
      if (r.ok && r.body) showUser(r.body);
    } catch {
      // The centre is unreachable: keep retrying.
    }
    connect();
  }, wait);
}

function onMessage(m) {
  if (Number.isFinite(m.now)) {
    S.now = m.now;
    S.nowAt = performance.now();
  }
  switch (m.type) {
    case 'hello':
      S.backoffMs = 1000;
      setConn('up');
      showUser({ ...S.me, ...m });
      incidents.setWorkflow(m.workflow ?? null);
      break;
    case 'tracks':
      store.apply(m);
      if (store.selected) details.live();
      map.requestRender();
      break;
    case 'alerts':
      alerts.update(m);
      break;
    case 'incidents': {
      const items = incidents.update(m);
      incidentLayer.set(items, m.now);
      updateTitle();
      map.requestRender();
      break;
    }
    case 'links':
      links.update(m);
      break;
    case 'replay':
      replayBar.update(m);
      break;
    default:
      break;
  }
}

// ---- periodic: blinking, clock, status line ----

setInterval(() => {
  // Emergencies blink at 1 Hz: re-render at each half period, only when any exist.
  if (trackLayer.blinking) map.requestRender();
}, 500);

setInterval(() => {
  const t = pictureNow();
  $('#clock').textContent = Number.isFinite(t) ? fmtTime(t) : '';
  const fs = map.frameStats;
  $('#status-line').textContent =
    `${store.count} tracks · ${trackLayer.inView} in view · ${trackLayer.labelled} labelled · render ${fs.lastMs.toFixed(1)} ms`;
  links.tick();
}, 1000);

// ---- map tools ----

$('#fit').addEventListener('click', () => map.fitHome());
$('#fit-tracks').addEventListener('click', () => fitTracks());
$('#zoom-in').addEventListener('click', () => map.zoomAt(1.6));
$('#zoom-out').addEventListener('click', () => map.zoomAt(1 / 1.6));
$('#all-labels').addEventListener('change', (e) => {
  trackLayer.allLabels = e.target.checked;
  map.requestRender();
});
$('#sound').checked = soundEnabled();
$('#sound').addEventListener('change', (e) => {
  setSound(e.target.checked);
  if (e.target.checked) beep(); // also unlocks audio: browsers need a gesture first
});
window.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  if (e.key === 'Escape') select(null);
  else if (e.key === '+' || e.key === '=') map.zoomAt(1.6);
  else if (e.key === '-') map.zoomAt(1 / 1.6);
});

function fitTracks() {
  const b = store.bounds();
  if (b) map.fitBounds(b.lat0, b.lon0, b.lat1, b.lon1, 40);
}

// ---- hooks for the browser tests and for debugging from the console (read-only, apart
// from moving the view) ----

window.vigilTest = {
  trackCount: () => store.count,
  trackIds: () => store.ids.slice(0, store.count),
  track: (id) => store.get(id),
  /** Viewport CSS px of a track (for page.mouse.click), or null when not on the map. */
  screenPos: (id) => {
    const t = store.get(id);
    if (!t) return null;
    const [x, y] = map.toScreen(t.lat, t.lon);
    if (x < 0 || y < 0 || x > map.w || y > map.h) return null;
    const r = map.canvas.getBoundingClientRect();
    return { x: r.left + x, y: r.top + y };
  },
  selected: () => store.selected,
  centreOn: (id) => {
    const t = store.get(id);
    if (t) map.centreOn(t.lat, t.lon);
    return !!t;
  },
  // Extras beyond the contract, for the perf script and debugging.
  fitTracks,
  /** Starts a new window for the maxima in stats(). */
  resetStats: () => {
    map.frameStats.maxMs = 0;
    msgStats.maxMs = 0;
  },
  stats: () => ({
    tracks: store.count,
    messages: store.messages,
    deltas: store.deltas,
    inView: trackLayer.inView,
    labelled: trackLayer.labelled,
    renders: map.frameStats.renders,
    lastRenderMs: map.frameStats.lastMs,
    maxRenderMs: map.frameStats.maxMs,
    baseMs: map.frameStats.baseMs,
    lastMessageMs: msgStats.lastMs,
    maxMessageMs: msgStats.maxMs,
    conn: $('#conn').dataset.state,
  }),
};

// ---- boot ----

async function boot() {
  setConn('down');
  loadBasemap();
  try {
    const r = await get('/api/me');
    if (r.ok && r.body) return startSession(r.body);
    showLogin();
  } catch (e) {
    showLogin(`cannot reach the centre: ${e.message ?? e}`);
  }
}

boot();
