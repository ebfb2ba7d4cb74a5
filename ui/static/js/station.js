// The Station view (STANDEX, issue 10): the metro station's plan on its own canvas (zones,
// walls, cameras and their coverage, stand-off sensor cones coloured by state), the people as
// anonymous dots coloured by their evidence (cued ones ringed, the alarmed person highlighted
// with the predicted position and the response team's target), the alarm list with the
// workflow's actions, and the station alarm summaries partner centres sent.
//
// Self-contained: the header button `#station-toggle` opens it; it polls /data/station.json
// twice a second while open and not at all when closed. The button shows once the centre
// answers /data/station.json (after sign-in), and stays hidden on a centre without a station.

import { h, setChildren, fmtTime, fmtDur, words } from './util.js';

const POLL_MS = 500;
const PROBE_MS = 3000;

const STYLE = `
#station-view { position: fixed; left: 0; right: 0; bottom: 0; top: var(--st-top, 40px); z-index: 20;
  display: grid; grid-template-columns: 1fr 380px; background: var(--bg); }
#station-view .st-canvas-wrap { position: relative; min-width: 0; min-height: 0; }
#station-view canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
#station-view .st-side { border-left: 1px solid var(--line); overflow-y: auto; padding: 8px; background: var(--panel); }
#station-view h2 { font-size: 13px; margin: 8px 0 6px; color: #9fd3ff; text-transform: uppercase; letter-spacing: .08em; }
#station-view .st-head { position: absolute; left: 8px; top: 8px; display: flex; gap: 8px; align-items: center;
  background: rgba(11,17,25,.85); padding: 4px 8px; border: 1px solid var(--line); border-radius: 3px; }
#station-view .st-legend { position: absolute; left: 8px; bottom: 8px; background: rgba(11,17,25,.85);
  padding: 4px 8px; border: 1px solid var(--line); border-radius: 3px; font-size: 12px; }
#station-view .st-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin: 0 4px 0 8px; vertical-align: -1px; }
.st-alarm { border: 1px solid var(--line); border-left: 4px solid var(--red); border-radius: 3px; padding: 6px; margin-bottom: 8px; background: var(--panel2); }
.st-alarm[data-closed="true"] { border-left-color: var(--muted); opacity: .8; }
.st-alarm .row1 { display: flex; gap: 6px; align-items: baseline; font-weight: 700; }
.st-alarm .row1 .state { margin-left: auto; font-weight: 400; color: var(--amber); }
.st-alarm .kv { color: var(--muted); font-size: 12px; margin: 3px 0; }
.st-alarm .acts { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.st-alarm .acts input { flex: 1 1 100%; }
.st-alarm .err { color: var(--bad); font-size: 12px; }
.st-partner { border-bottom: 1px solid var(--line); padding: 4px 0; font-size: 12px; }
.st-counters { font-size: 12px; color: var(--muted); }
`;

const ZONE_FILL = {
  entrance: '#1b3a2a', ticket_hall: '#1a2a3d', gates: '#3a321a', corridor: '#1e2b38', stairs: '#2d2238', platform: '#1d3340',
};
const SENSOR_FILL = { off: 'rgba(127,147,168,0.07)', on: 'rgba(53,208,255,0.16)', tasked: 'rgba(255,159,28,0.35)' };
const SENSOR_LINE = { off: 'rgba(127,147,168,0.35)', on: 'rgba(53,208,255,0.7)', tasked: 'rgba(255,159,28,0.95)' };

async function call(method, url, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(url, init);
  const text = await r.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: text.slice(0, 300) };
  }
  return { ok: r.ok, status: r.status, body: parsed };
}

/** Evidence (log-likelihood ratio) to a colour: grey below zero, then yellow, orange, red. */
function llrColour(llr, cue, alarm) {
  if (!(llr > 0.05)) return '#7f93a8';
  if (llr < cue) return '#d8e36a';
  if (llr < alarm) return '#ff9f1c';
  return '#ff3b3b';
}

class StationView {
  constructor() {
    this.button = document.querySelector('#station-toggle');
    this.open = false;
    this.data = null;
    this.timer = 0;
    this.inflight = false;
    this.drafts = new Map(); // alarm id -> text typed in its remark box
    this.errors = new Map(); // alarm id -> last refusal
    const style = document.createElement('style');
    style.textContent = STYLE;
    document.head.append(style);
    this.canvas = h('canvas', { 'aria-label': 'Station plan' });
    this.head = h('div', { class: 'st-head' });
    this.legend = h('div', { class: 'st-legend' },
      'people:', h('i', { style: 'background:#7f93a8' }), 'no evidence',
      h('i', { style: 'background:#d8e36a' }), 'some', h('i', { style: 'background:#ff9f1c' }), 'cued',
      h('i', { style: 'background:#ff3b3b' }), 'alarm',
      ' · sensors: ', h('i', { style: 'background:rgba(127,147,168,.5);border-radius:0' }), 'off',
      h('i', { style: 'background:rgba(53,208,255,.6);border-radius:0' }), 'on',
      h('i', { style: 'background:rgba(255,159,28,.9);border-radius:0' }), 'tasked');
    this.alarmsEl = h('div', { id: 'station-alarms' });
    this.partnerEl = h('div', { id: 'station-partner' });
    this.countersEl = h('div', { class: 'st-counters mono' });
    this.root = h('section', { id: 'station-view', hidden: true },
      h('div', { class: 'st-canvas-wrap' }, this.canvas, this.head, this.legend),
      h('div', { class: 'st-side' },
        h('h2', null, 'Station alarms'), this.alarmsEl,
        h('h2', null, 'Partner station alarms'), this.partnerEl,
        h('h2', null, 'Exercise'), this.countersEl));
    document.body.append(this.root);
    new ResizeObserver(() => this.render()).observe(this.canvas);
    if (this.button) {
      this.button.addEventListener('click', () => this.toggle());
      this.probe();
    }
  }

  /** Shows the header button once the centre has a station (after sign-in). */
  async probe() {
    let r;
    try {
      r = await call('GET', '/data/station.json');
    } catch {
      r = { status: 0 };
    }
    if (r.status === 200 && r.body) {
      this.button.hidden = false;
      this.data = r.body;
    } else if (r.status === 404) {
      this.button.hidden = true;
      return;
    }
    setTimeout(() => this.probe(), PROBE_MS);
  }

  toggle(force) {
    this.open = force ?? !this.open;
    this.root.hidden = !this.open;
    this.button?.classList.toggle('active', this.open);
    const bar = document.querySelector('#topbar');
    if (bar) this.root.style.setProperty('--st-top', `${bar.getBoundingClientRect().height}px`);
    clearTimeout(this.timer);
    if (this.open) this.poll();
  }

  async poll() {
    if (!this.open) return;
    if (!this.inflight) {
      this.inflight = true;
      try {
        const r = await call('GET', '/data/station.json');
        if (r.ok && r.body) {
          this.data = r.body;
          this.update();
        } else if (r.status === 401) {
          this.toggle(false);
          this.button.hidden = true;
          this.probe();
        }
      } catch {
        // the next poll tries again
      } finally {
        this.inflight = false;
      }
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  update() {
    const d = this.data;
    this.root.dataset.people = String(d.people?.length ?? 0);
    this.root.dataset.alarms = String(d.alarms?.length ?? 0);
    setChildren(this.head,
      h('span', { class: 'badge exercise' }, 'EXERCISE'),
      h('b', null, d.station ?? 'no station'),
      h('span', { class: 'mono muted' }, fmtTime(d.now)),
      h('span', { class: 'muted' }, `${d.people?.length ?? 0} people tracked`));
    const c = d.counters ?? {};
    setChildren(this.countersEl,
      `simulated ${fmtDur(d.sim_t)} · people in station ${c.people_now ?? '—'} · tracks ${c.tracks_now ?? '—'}`, h('br'),
      `scans ${c.scans ?? 0} · camera detections ${c.camera_detections ?? 0} · sensor looks ${c.sensor_looks ?? 0}`, h('br'),
      `cued ${c.cues ?? 0} · alarms ${c.alarms ?? 0} · evidence pruned ${c.evidence_pruned ?? 0} · lag ${(c.lag_s ?? 0).toFixed(1)} s`, h('br'),
      `evidence kept ${fmtDur(d.retention_s)} · alarms shared with partners: ${d.share_alarms ? 'yes' : 'no'}`);
    this.renderAlarms();
    this.renderPartner();
    this.render();
  }

  renderAlarms() {
    const d = this.data;
    // Keep what the operator is typing across the 2 Hz refresh.
    for (const inp of this.alarmsEl.querySelectorAll('input[data-id]')) this.drafts.set(inp.dataset.id, inp.value);
    const focused = document.activeElement?.dataset?.id;
    const list = d.alarms ?? [];
    if (!list.length) {
      setChildren(this.alarmsEl, h('p', { class: 'empty muted' }, 'No alarms.'));
      return;
    }
    setChildren(this.alarmsEl, list.map((a) => this.alarmCard(a)));
    if (focused) this.alarmsEl.querySelector(`input[data-id="${CSS.escape(focused)}"]`)?.focus();
  }

  alarmCard(a) {
    const id = String(a.id);
    const closed = a.closed !== null && a.closed !== undefined;
    const input = h('input', { 'data-id': id, placeholder: 'remark / reason', value: this.drafts.get(id) ?? '' });
    input.value = this.drafts.get(id) ?? '';
    const act = async (action, field) => {
      const text = input.value.trim();
      const body = { action };
      if (field) body[field] = text;
      const r = await call('POST', `/api/station/alarms/${a.id}/actions`, body);
      if (r.ok) {
        this.errors.delete(id);
        this.drafts.delete(id);
      } else {
        this.errors.set(id, r.body?.error ?? `refused (${r.status})`);
      }
      const s = await call('GET', '/data/station.json');
      if (s.ok && s.body) {
        this.data = s.body;
        this.update();
      }
    };
    const state = a.state ?? '?';
    const buttons = [];
    if (!closed) {
      if (state === 'alarm') buttons.push(h('button', { type: 'button', 'data-action': 'acknowledge', onclick: () => act('acknowledge') }, 'Acknowledge'));
      if (state === 'acknowledged') buttons.push(h('button', { type: 'button', 'data-action': 'dispatch_team', title: 'Send the response team to the predicted position (remark: which team, from where)', onclick: () => act('dispatch_team', 'remark') }, 'Dispatch team'));
      buttons.push(h('button', { type: 'button', 'data-action': 'resolve', class: 'role-supervisor', title: 'Supervisor: resolved (reason)', onclick: () => act('resolve', 'reason') }, 'Resolve'));
      if (state === 'alarm' || state === 'acknowledged') buttons.push(h('button', { type: 'button', 'data-action': 'false_alarm', title: 'False alarm (reason)', onclick: () => act('false_alarm', 'reason') }, 'False alarm'));
    }
    const ev = a.evidence;
    const err = this.errors.get(id);
    return h('div', { class: 'st-alarm', dataset: { id, state, closed: String(closed) } },
      h('div', { class: 'row1' },
        h('span', null, `ALARM ${a.id}`), h('span', null, words(a.zone ?? '?')),
        h('span', { class: 'state' }, `${words(state)} · ${a.level_name ?? ''}${a.proposed_level ? ' (ALARM proposed)' : ''}`)),
      h('div', { class: 'kv' }, `at ${fmtTime(a.at)} · evidence ${Number(a.llr).toFixed(1)} · body ${a.body ?? '—'} · sensors ${(a.sensor_kinds ?? []).map(words).join(', ') || '—'}`),
      ev ? h('div', { class: 'kv' }, `heading for ${words(a.predicted_zone ?? '?')}; predicted (${ev.predicted[0].toFixed(1)}, ${ev.predicted[1].toFixed(1)}) m at ${fmtTime(ev.predicted_at)}`,
        ev.team_target ? ` · team to (${ev.team_target.x.toFixed(1)}, ${ev.team_target.y.toFixed(1)})` : '')
        : h('div', { class: 'kv' }, a.pruned_at ? `evidence pruned at ${fmtTime(a.pruned_at)} (retention)` : ''),
      (a.nearest_carrier_m ?? null) !== null ? h('div', { class: 'kv' }, `debrief: nearest carrier ${a.nearest_carrier_m.toFixed(1)} m`) : null,
      buttons.length ? h('div', { class: 'acts' }, input, buttons) : null,
      err ? h('div', { class: 'err' }, err) : null);
  }

  renderPartner() {
    const list = this.data.partner_alarms ?? [];
    if (!list.length) {
      setChildren(this.partnerEl, h('p', { class: 'empty muted' }, 'None received.'));
      return;
    }
    setChildren(this.partnerEl, list.slice(0, 50).map((e) => h('div', { class: 'st-partner', dataset: { state: e.state ?? '' } },
      h('b', null, `${e.origin?.centre ?? '?'} · ${e.station ?? '?'}`), ` alarm ${e.alarm}: ${words(e.zone)} · ${words(e.state)} · ${e.level}`,
      e.exercise ? h('span', { class: 'badge exercise' }, 'EXERCISE') : null,
      h('div', { class: 'muted' }, `${fmtTime(e.time)}${e.body_location ? ` · body ${e.body_location}` : ''}${e.sensor_kinds?.length ? ` · ${e.sensor_kinds.map(words).join(', ')}` : ''}${e.remark ? ` · “${e.remark}”` : ''}`))));
  }

  render() {
    if (!this.open || !this.data?.plan) return;
    const cv = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth;
    const ht = cv.clientHeight;
    if (!w || !ht) return;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(ht * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(ht * dpr);
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#0b1119';
    g.fillRect(0, 0, w, ht);
    const d = this.data;
    const [[x0, y0], [x1, y1]] = d.plan.bounds;
    const pad = 40;
    const k = Math.min((w - 2 * pad) / Math.max(1, x1 - x0), (ht - 2 * pad) / Math.max(1, y1 - y0));
    const ox = (w - k * (x1 - x0)) / 2;
    const oy = (ht - k * (y1 - y0)) / 2;
    // x east, y north: y is flipped on the screen.
    const X = (x) => ox + k * (x - x0);
    const Y = (y) => ht - oy - k * (y - y0);
    const poly = (pts) => {
      g.beginPath();
      pts.forEach((p, i) => (i ? g.lineTo(X(p[0]), Y(p[1])) : g.moveTo(X(p[0]), Y(p[1]))));
      g.closePath();
    };
    for (const z of d.plan.zones) {
      poly(z.polygon);
      g.fillStyle = ZONE_FILL[z.kind] ?? '#16212d';
      g.fill();
      g.strokeStyle = '#2c3e52';
      g.lineWidth = 1;
      g.stroke();
      g.fillStyle = '#5d7188';
      g.font = '11px system-ui, sans-serif';
      g.textAlign = 'center';
      g.fillText(words(z.id), X(z.centroid[0]), Y(z.centroid[1]));
    }
    // Camera coverage: faint outlines.
    g.setLineDash([2, 3]);
    g.strokeStyle = 'rgba(159,211,255,0.18)';
    for (const c of d.plan.cameras) {
      if (c.coverage.length >= 3) {
        poly(c.coverage);
        g.stroke();
      }
    }
    g.setLineDash([]);
    // Stand-off sensor cones, by state.
    for (const s of d.sensors ?? []) {
      poly(s.coverage);
      g.fillStyle = SENSOR_FILL[s.state] ?? SENSOR_FILL.off;
      g.fill();
      g.strokeStyle = SENSOR_LINE[s.state] ?? SENSOR_LINE.off;
      g.lineWidth = s.state === 'tasked' ? 1.5 : 1;
      g.stroke();
      g.fillStyle = SENSOR_LINE[s.state] ?? SENSOR_LINE.off;
      g.fillRect(X(s.x) - 3, Y(s.y) - 3, 6, 6);
    }
    // Walls.
    g.strokeStyle = '#c9d6e3';
    g.lineWidth = 2;
    g.beginPath();
    for (const [a, b] of d.plan.walls) {
      g.moveTo(X(a[0]), Y(a[1]));
      g.lineTo(X(b[0]), Y(b[1]));
    }
    g.stroke();
    // Cameras.
    g.fillStyle = '#9fd3ff';
    for (const c of d.plan.cameras) {
      const a = (c.yaw_deg * Math.PI) / 180;
      const cx = X(c.position[0]);
      const cy = Y(c.position[1]);
      g.beginPath();
      g.moveTo(cx + 7 * Math.cos(a), cy - 7 * Math.sin(a));
      g.lineTo(cx + 4 * Math.cos(a + 2.4), cy - 4 * Math.sin(a + 2.4));
      g.lineTo(cx + 4 * Math.cos(a - 2.4), cy - 4 * Math.sin(a - 2.4));
      g.closePath();
      g.fill();
    }
    // People.
    const cue = 2.5;
    const alarmLlr = 9;
    const r = Math.max(2.5, Math.min(5, k * 0.25));
    for (const p of d.people ?? []) {
      g.fillStyle = llrColour(p.llr, cue, alarmLlr);
      g.beginPath();
      g.arc(X(p.x), Y(p.y), r, 0, 2 * Math.PI);
      g.fill();
      if (p.cued) {
        g.strokeStyle = '#ff9f1c';
        g.lineWidth = 1.5;
        g.beginPath();
        g.arc(X(p.x), Y(p.y), r + 4, 0, 2 * Math.PI);
        g.stroke();
      }
    }
    // Open alarms: the person highlighted, where they are heading, where the team goes.
    for (const a of d.alarms ?? []) {
      if (a.closed !== null && a.closed !== undefined) continue;
      const ev = a.evidence;
      if (!ev) continue;
      const p = (d.people ?? []).find((q) => q.id === ev.track);
      const here = p ? [p.x, p.y] : ev.position;
      g.strokeStyle = '#ff3b3b';
      g.lineWidth = 2.5;
      g.beginPath();
      g.arc(X(here[0]), Y(here[1]), r + 9, 0, 2 * Math.PI);
      g.stroke();
      g.setLineDash([5, 4]);
      g.beginPath();
      g.moveTo(X(here[0]), Y(here[1]));
      g.lineTo(X(ev.predicted[0]), Y(ev.predicted[1]));
      g.stroke();
      g.setLineDash([]);
      const px = X(ev.predicted[0]);
      const py = Y(ev.predicted[1]);
      g.beginPath();
      g.moveTo(px - 6, py - 6);
      g.lineTo(px + 6, py + 6);
      g.moveTo(px + 6, py - 6);
      g.lineTo(px - 6, py + 6);
      g.stroke();
      g.fillStyle = '#ff3b3b';
      g.font = 'bold 12px system-ui, sans-serif';
      g.textAlign = 'left';
      g.fillText(`ALARM ${a.id}`, X(here[0]) + r + 12, Y(here[1]) - 6);
      if (ev.team_target) {
        const tx = X(ev.team_target.x);
        const ty = Y(ev.team_target.y);
        g.strokeStyle = '#3ddc84';
        g.lineWidth = 2;
        g.strokeRect(tx - 6, ty - 6, 12, 12);
        g.fillStyle = '#3ddc84';
        g.fillText('TEAM', tx + 9, ty + 4);
      }
    }
  }
}

export const station = new StationView();
