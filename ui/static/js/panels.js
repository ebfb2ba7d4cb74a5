// The side panels that are plain lists (alerts, partner links) and the track details panel.
// Each is rebuilt from the latest server message of its kind; these lists are short (tens of
// rows), unlike the tracks, which never get DOM of their own.

import { h, setChildren, fmtTime, fmtDateTime, fmtDur, fmtLevel, fmtLatLon, fmtNum, fmtValue, isNum, words, trackIdOf } from './util.js';

const MAX_ALERTS = 150;
// Indicators that mean danger now rather than a deviation to look at.
const HIGH = new Set(['squawk_7500', 'squawk_7700', 'adsb_unlawful_interference', 'transponder_lost',
  'restricted_area_entry', 'adsb_emergency']);

export class AlertsPanel {
  constructor(root, countEl, hooks) {
    this.root = root;
    this.countEl = countEl;
    this.hooks = hooks;
    this.byTrack = new Map(); // track id -> active alerts, for the details panel
  }

  reset() {
    this.byTrack.clear();
    setChildren(this.root, h('p', { class: 'empty' }, 'No active alerts.'));
    this.countEl.textContent = '';
  }

  update(msg) {
    const active = Array.isArray(msg.active) ? msg.active.slice() : [];
    active.sort((a, b) => (b.raised ?? 0) - (a.raised ?? 0));
    this.byTrack.clear();
    for (const a of active) {
      const id = trackIdOf(a.track);
      if (!id) continue;
      if (!this.byTrack.has(id)) this.byTrack.set(id, []);
      this.byTrack.get(id).push(a);
    }
    const cleared = Array.isArray(msg.cleared) ? msg.cleared.length : 0;
    this.countEl.textContent = `${active.length} active · ${cleared} cleared`;
    if (!active.length) {
      setChildren(this.root, h('p', { class: 'empty' }, 'No active alerts.'));
      return;
    }
    const now = msg.now;
    const rows = active.slice(0, MAX_ALERTS).map((a) => {
      const id = trackIdOf(a.track);
      const who = a.callsign ?? a.icao ?? id ?? '—';
      return h('div', {
        class: `alert ${HIGH.has(a.kind) ? 'sev-high' : 'sev-mid'}`,
        dataset: { id: a.id, track: id ?? '' },
        title: 'Show the track',
        onclick: () => id && this.hooks.onSelect?.(id, true),
      },
      h('span', { class: 'kind' }, words(a.kind)),
      h('span', { class: 'who' }, `${who}${id && who !== id ? ` (${id})` : ''}`),
      h('span', { class: 'when', title: `raised ${fmtDateTime(a.raised)}, started ${fmtDateTime(a.started)}` },
        isNum(now) && isNum(a.started) ? fmtDur(now - a.started) : fmtTime(a.raised)),
      a.detail ? h('span', { class: 'detail' }, a.detail) : null);
    });
    if (active.length > MAX_ALERTS) rows.push(h('p', { class: 'muted' }, `+${active.length - MAX_ALERTS} more`));
    setChildren(this.root, rows);
  }
}

/** A checkpoint as [seq, time(, agreed)] or {seq, time|at, agreed|agree}. */
function checkpoint(v) {
  if (!v) return null;
  if (Array.isArray(v)) return { seq: v[0], at: v[1], agreed: v[2] };
  return { seq: v.seq, at: v.time ?? v.at, agreed: v.agreed ?? v.agree ?? v.ok };
}

export class LinksPanel {
  constructor(root, countEl, hooks) {
    this.root = root;
    this.countEl = countEl;
    this.hooks = hooks;
    this.notes = new Map(); // link -> text of the last checkpoint request
    this.last = null;
  }

  reset() {
    this.last = null;
    this.notes.clear();
    setChildren(this.root, h('p', { class: 'empty' }, 'No partner links.'));
    this.countEl.textContent = '';
  }

  update(msg) {
    this.last = msg;
    this.render();
  }

  /** Moves the heartbeat ages on between messages without rebuilding the rows (a row
   * rebuilt under the pointer would swallow a click on its button). */
  tick() {
    const now = this.hooks.now?.();
    if (!isNum(now)) return;
    for (const dd of this.root.querySelectorAll('[data-field=heartbeat]')) {
      const t = Number(dd.dataset.t);
      if (dd.dataset.t && isNum(t)) dd.textContent = `${fmtTime(t)} (${fmtDur(Math.max(0, now - t))} ago)`;
    }
  }

  render() {
    const msg = this.last;
    if (!msg) return;
    const links = Array.isArray(msg.links) ? msg.links : [];
    const now = this.hooks.now?.();
    const up = links.filter((l) => l.state === 'up').length;
    const refused = isNum(msg.refused_connections) && msg.refused_connections ? ` · ${msg.refused_connections} refused` : '';
    this.countEl.textContent = `${up}/${links.length} up${refused}`;
    if (!links.length) {
      setChildren(this.root, h('p', { class: 'empty' }, 'No partner links.'));
      return;
    }
    setChildren(this.root, links.map((l) => {
      const name = l.link ?? l.name ?? '?';
      const state = String(l.state ?? 'unknown');
      const hb = l.last_heartbeat;
      const own = checkpoint(l.last_checkpoint);
      const theirs = checkpoint(l.last_partner_checkpoint);
      const age = (t) => (isNum(t) && isNum(now) ? ` (${fmtDur(Math.max(0, now - t))} ago)` : '');
      const note = this.notes.get(name);
      return h('div', { class: 'link', dataset: { link: name } },
        h('div', { class: 'row1' },
          h('span', { class: 'name' }, name),
          h('span', { class: 'muted' }, l.partner ?? ''),
          h('span', { class: state, dataset: { field: 'state' } }, state),
          h('button', { type: 'button', dataset: { checkpoint: name }, onclick: () => this.checkpoint(name) }, 'checkpoint now')),
        h('dl', { class: 'kv' },
          h('dt', null, 'heartbeat'), h('dd', { dataset: { field: 'heartbeat', t: isNum(hb) ? hb : '' } }, isNum(hb) ? `${fmtTime(hb)}${age(hb)}` : 'never'),
          h('dt', null, 'lag'), h('dd', { dataset: { field: 'lag' } }, isNum(l.lag_s) ? `${l.lag_s.toFixed(2)} s` : '—'),
          h('dt', null, 'sent / recv'), h('dd', null, `#${fmtValue(l.last_sent)} / #${fmtValue(l.last_received)} · unacked ${fmtValue(l.unacked)}`),
          h('dt', null, 'counts'), h('dd', null,
            `recv ${fmtValue(l.received)} · dup ${fmtValue(l.duplicates)} · withheld ${fmtValue(l.withheld)} · malformed ${fmtValue(l.malformed)} · refused ${fmtValue(l.refused)} · conns ${fmtValue(l.connections)}`),
          h('dt', null, 'checkpoint'), h('dd', { dataset: { field: 'checkpoint' } }, own ? `#${own.seq} at ${fmtTime(own.at)}` : 'none sent'),
          h('dt', null, 'partner ckpt'), h('dd', { dataset: { field: 'partner-checkpoint' } }, theirs ? [
            `#${theirs.seq} at ${fmtTime(theirs.at)} `,
            theirs.agreed === false ? h('span', { class: 'disagree' }, '✗ DIVERGES') :
              theirs.agreed === true ? h('span', { class: 'agree' }, '✓ verified') : '',
          ] : 'none received')),
        note ? h('p', { class: note.error ? 'error' : 'muted' }, note.text) : null);
    }));
  }

  async checkpoint(name) {
    this.notes.set(name, { text: 'checkpoint requested…' });
    this.render();
    try {
      const r = await this.hooks.post(`/api/links/${encodeURIComponent(name)}/checkpoint`, {});
      if (r.status === 401) return this.hooks.onAuthLost?.();
      this.notes.set(name, r.ok ? { text: `checkpoint requested at ${new Date().toISOString().slice(11, 19)}Z` } :
        { text: r.body?.error ?? `refused (HTTP ${r.status})`, error: true });
    } catch (e) {
      this.notes.set(name, { text: `not sent: ${e.message ?? e}`, error: true });
    }
    this.render();
  }
}

// Keys shown in their own sections of the details panel, not in the generic list.
const SHOWN = new Set(['track', 'id', 'lat', 'lon', 'alt_ft', 'alt_m', 'gs_kt', 'track_deg', 'vert_rate_fpm',
  'identity', 'flags', 'lineage', 'alerts', 'incident', 'flight_plan', 'flight_plans', 'quality', 'status', 'velocity']);

export class DetailsPanel {
  constructor(root, hooks) {
    this.root = root;
    this.body = root.querySelector('.body');
    this.hooks = hooks;
    this.id = null;
    this.json = null;
    this.timer = 0;
    this.seq = 0;
    root.querySelector('[data-close]').addEventListener('click', () => this.hooks.onClose?.());
    // The body is rebuilt when fresh details arrive, but not under the pointer: a button
    // replaced between press and release would swallow the click.
    this.hover = false;
    this.pending = false;
    root.addEventListener('pointerenter', () => { this.hover = true; });
    root.addEventListener('pointerleave', () => {
      this.hover = false;
      if (this.pending) this.render();
    });
  }

  /** Updates the live fields from the store (every tracks message) without a rebuild. */
  live() {
    const t = this.id ? this.hooks.store.get(this.id) : null;
    if (!t) return;
    const set = (f, text) => {
      const el = this.body.querySelector(`[data-field=${f}]`);
      if (el && el.textContent !== text) el.textContent = text;
    };
    set('position', fmtLatLon(t.lat, t.lon));
    set('altitude', `${fmtLevel(t.alt_ft)} (${fmtNum(t.alt_ft, 0, 'ft')})`);
    set('speed', fmtNum(t.gs_kt, 0, 'kt'));
    set('heading', fmtNum(t.track_deg, 0, '°'));
    set('squawk', t.squawk ?? '—');
  }

  show(id) {
    if (this.id !== id) this.json = null;
    this.id = id;
    this.root.hidden = false;
    this.root.querySelector('[data-field=id]').textContent = id;
    this.render();
    this.fetch();
    clearInterval(this.timer);
    // Details change slowly compared with positions: refresh every 3 s while open.
    this.timer = setInterval(() => this.fetch(), 3000);
  }

  hide() {
    this.id = null;
    this.json = null;
    this.root.hidden = true;
    clearInterval(this.timer);
  }

  async fetch() {
    const id = this.id;
    if (!id) return;
    const seq = ++this.seq;
    try {
      const r = await this.hooks.get(`/data/tracks/${encodeURIComponent(id)}`);
      if (seq !== this.seq || id !== this.id) return;
      if (r.status === 401) return this.hooks.onAuthLost?.();
      this.json = r.ok ? r.body : { _error: r.status === 404 ? 'no details: the track has ended' : `details: HTTP ${r.status}` };
    } catch (e) {
      if (id !== this.id) return;
      this.json = { _error: `details unavailable: ${e.message ?? e}` };
    }
    if (this.hover) this.pending = true;
    else this.render();
  }

  /** Live fields from the store (every render) and the fetched object (every few seconds). */
  render() {
    const id = this.id;
    this.pending = false;
    if (!id) return;
    const t = this.hooks.store.get(id);
    const j = this.json ?? {};
    const ident = j.identity ?? {};
    const callsign = t?.callsign ?? ident.flight ?? j.callsign ?? '';
    this.root.querySelector('[data-field=callsign]').textContent = callsign;
    const flags = [];
    if (t?.partner || id.startsWith('P:')) flags.push(h('span', { class: 'tag orange' }, 'PARTNER'));
    else flags.push(h('span', { class: 'tag green' }, id.startsWith('A') ? 'OWN ADS-B' : 'OWN'));
    const sq = t?.squawk ?? ident.squawk;
    if (sq === '7500') flags.push(h('span', { class: 'tag magenta' }, 'HIJACK 7500'));
    if (sq === '7600') flags.push(h('span', { class: 'tag magenta' }, 'RADIO FAILURE 7600'));
    if (sq === '7700') flags.push(h('span', { class: 'tag red' }, 'EMERGENCY 7700'));
    if (t?.transponder_lost || j.flags?.transponder_lost) flags.push(h('span', { class: 'tag red' }, 'XPDR LOST'));
    if (t?.coasting || j.status === 'coasting') flags.push(h('span', { class: 'tag grey' }, 'COASTING'));
    if (t?.alerted) flags.push(h('span', { class: 'tag amber' }, 'ALERT'));
    if (!t) flags.push(h('span', { class: 'tag grey' }, 'NOT IN PICTURE'));

    const lat = t?.lat ?? j.lat, lon = t?.lon ?? j.lon;
    const sections = [
      h('div', null, flags),
      h('dl', { class: 'kv' },
        h('dt', null, 'position'), h('dd', { dataset: { field: 'position' } }, fmtLatLon(lat, lon)),
        h('dt', null, 'level'), h('dd', { dataset: { field: 'altitude' } }, `${fmtLevel(t?.alt_ft ?? j.alt_ft)} (${fmtNum(t?.alt_ft ?? j.alt_ft, 0, 'ft')})`),
        h('dt', null, 'speed'), h('dd', { dataset: { field: 'speed' } }, fmtNum(t?.gs_kt ?? j.gs_kt, 0, 'kt')),
        h('dt', null, 'track'), h('dd', { dataset: { field: 'heading' } }, fmtNum(t?.track_deg ?? j.track_deg, 0, '°')),
        isNum(j.vert_rate_fpm) ? [h('dt', null, 'vertical'), h('dd', null, fmtNum(j.vert_rate_fpm, 0, 'ft/min'))] : null,
        h('dt', null, 'squawk'), h('dd', { dataset: { field: 'squawk' } }, sq ?? '—'),
        h('dt', null, 'status'), h('dd', { dataset: { field: 'status' } }, j.status ?? (t?.coasting ? 'coasting' : t ? 'live' : '—'))),
    ];
    if (j._error) sections.push(h('p', { class: 'muted' }, j._error));

    sections.push(h('h3', null, 'Identities'), kv({
      'Mode S': ident.hex ?? j.hex ?? j.icao, callsign: ident.flight ?? j.callsign ?? t?.callsign,
      squawk: ident.squawk ?? sq, ...(j.link ? { link: j.link } : {}), ...(j.from ? { from: j.from } : {}),
    }, 'identity'));

    // Indicators: the server's alerts for the track, else what the alerts panel knows.
    const alerts = Array.isArray(j.alerts) ? j.alerts : this.hooks.alertsOf?.(id) ?? [];
    sections.push(h('h3', null, `Indicators (${alerts.length})`));
    sections.push(alerts.length ? h('div', { dataset: { field: 'indicators' } }, alerts.map((a) => h('div', null,
      h('span', { class: `tag ${a.cleared ? 'grey' : HIGH.has(a.kind) ? 'red' : 'amber'}` }, words(a.kind)),
      ` ${fmtTime(a.started ?? a.raised)}${a.cleared ? ` – cleared ${fmtTime(a.cleared)}` : ''} `,
      h('span', { class: 'muted' }, a.detail ?? '')))) : h('p', { class: 'empty' }, 'none'));
    if (j.incident && typeof j.incident === 'object') {
      const inc = j.incident.incident ?? j.incident;
      sections.push(h('p', null, h('b', null, `Incident INC-${inc.id}: `), `${words(inc.state)} · `,
        h('button', { type: 'button', onclick: () => this.hooks.onIncident?.(inc.id) }, 'go to card')));
    }

    // `flight_plans` (every plan filed under the callsign) or a single `flight_plan`.
    const plans = Array.isArray(j.flight_plans) ? j.flight_plans : j.flight_plan ? [j.flight_plan] : [];
    sections.push(h('h3', null, plans.length > 1 ? `Flight plans (${plans.length})` : 'Flight plan'));
    if (plans.length) plans.forEach((fp) => sections.push(kv(fp, 'flight-plan')));
    else sections.push(h('p', { class: 'empty' }, 'flight_plans' in j || 'flight_plan' in j ? 'none filed' : '—'));

    const lineage = Array.isArray(j.lineage) ? j.lineage : [];
    sections.push(h('h3', null, `Lineage / sensors (${lineage.length})`));
    if (lineage.length) {
      sections.push(h('table', { class: 'mini', dataset: { field: 'lineage' } },
        h('tr', null, h('th', null, 'sensor'), h('th', null, 'party'), h('th', null, 'last')),
        lineage.map((c) => h('tr', null, h('td', null, c.sensor ?? '—'), h('td', null, c.party ?? '(partner)'), h('td', null, fmtTime(c.time))))));
    }
    if (j.quality) sections.push(h('h3', null, 'Quality'), kv(j.quality));

    const rest = Object.fromEntries(Object.entries(j).filter(([k]) => !SHOWN.has(k) && !k.startsWith('_')));
    if (Object.keys(rest).length) sections.push(h('h3', null, 'Other'), kv(rest));
    setChildren(this.body, sections);
  }
}

/** A generic key / value list; nested objects become nested lists, times are shown as UTC. */
function kv(obj, field, depth = 0) {
  const dl = h('dl', { class: 'kv', dataset: field ? { field } : undefined });
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (v === undefined) continue;
    dl.append(h('dt', null, words(k)));
    let dd;
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) dd = h('dd', null, kv(v, null, depth + 1));
    else if (isNum(v) && /(^|_)(time|created|last_update|received|raised|started|updated|opened|at)$/.test(k) && v > 1e9) dd = h('dd', null, fmtDateTime(v));
    else if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) dd = h('dd', null, v.map(fmtValue).join(', '));
    else dd = h('dd', null, fmtValue(v));
    dl.append(dd);
  }
  return dl;
}
