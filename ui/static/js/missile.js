// Missile early warning on the map (issue 9): the centre's own, partner and joint missile
// tracks, their predicted impact points with the 95 % ellipse, launch points and launch
// warnings, the early-warning radars' fans and the interceptor sites with their range rings;
// and a panel of the threats with time to impact, threatened cities and the planning advice
// (advice only). Polls /data/missile.json about once a second; a centre without [missile]
// answers 404 and the layer stays empty.

import { destination } from './map.js';
import { h, setChildren } from './util.js';

const STYLE = {
  own: '#ffd23f',
  partner: '#35d0ff',
  joint: '#ff2bd6',
};

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function fmtS(s) {
  if (!isNum(s)) return '—';
  const m = Math.floor(s / 60);
  const r = Math.round(s % 60);
  return m > 0 ? `${m} min ${String(r).padStart(2, '0')} s` : `${r} s`;
}

/** Points of an ellipse (semi-axes in metres, major axis clockwise from north). */
function ellipsePoints(lat, lon, a, b, orientDeg, n = 48) {
  const pts = [];
  const th = (orientDeg * Math.PI) / 180;
  for (let k = 0; k <= n; k++) {
    const u = (2 * Math.PI * k) / n;
    // Along the major axis (bearing th) and the minor one (th + 90°).
    const along = a * Math.cos(u);
    const across = b * Math.sin(u);
    const north = along * Math.cos(th) - across * Math.sin(th);
    const east = along * Math.sin(th) + across * Math.cos(th);
    const d = Math.hypot(north, east);
    const brg = (Math.atan2(east, north) * 180) / Math.PI;
    pts.push(d > 0 ? destination(lat, lon, brg, d) : [lat, lon]);
  }
  return pts;
}

function pathOf(ctx, map, pts) {
  ctx.beginPath();
  pts.forEach(([la, lo], k) => {
    const [x, y] = map.toScreen(la, lo);
    if (k === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
}

function label(ctx, text, x, y, colour) {
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  const w = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(8,14,22,0.85)';
  ctx.fillRect(x - 2, y - 8, w + 4, 16);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}

export class MissileLayer {
  /**
   * @param {import('./map.js').MapView} map
   * @param {HTMLElement} side the side column the threats panel goes into
   */
  constructor(map, side) {
    this.map = map;
    this.data = null;
    this.timer = 0;
    this.running = false;
    this.drawn = { fans: 0, ellipses: 0, tracks: 0, sites: 0 };
    this.panel = h('section', { id: 'missile-panel', class: 'panel', hidden: true });
    this.title = h('h2', {}, 'Missile threats ');
    this.count = h('span', { class: 'count', id: 'missile-count' });
    this.title.append(this.count);
    this.list = h('div', { id: 'missile-threats' });
    this.panel.append(this.title, this.list);
    side?.prepend(this.panel);
    // For the browser test and the console: `vigilMissile.fit()` shows the theatre.
    window.vigilMissile = this;
  }

  /** Fits the map to the radars, interceptor sites and threats (the missile theatre). */
  fit() {
    const d = this.data;
    if (!d) return false;
    const pts = [];
    for (const r of d.radars ?? []) pts.push([r.lat, r.lon]);
    for (const s of d.interceptors ?? []) pts.push([s.lat, s.lon]);
    for (const { t } of this.threats()) {
      pts.push([t.lat, t.lon]);
      if (t.impact) pts.push([t.impact.lat, t.impact.lon]);
    }
    if (!pts.length) return false;
    const lats = pts.map((p) => p[0]);
    const lons = pts.map((p) => p[1]);
    this.map.fitBounds(Math.min(...lats) - 2, Math.min(...lons) - 2, Math.max(...lats) + 2, Math.max(...lons) + 2);
    return true;
  }

  /** Starts polling (after a login). */
  start() {
    if (this.running) return;
    this.running = true;
    this.poll();
  }

  /** Stops polling and forgets everything (logout). */
  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.data = null;
    this.panel.hidden = true;
    this.map.requestRender();
  }

  async poll() {
    if (!this.running) return;
    let again = 1000;
    try {
      const r = await fetch('/data/missile.json', { credentials: 'same-origin' });
      if (r.status === 404) {
        // No [missile] here: ask again now and then (a restart may add it).
        this.data = null;
        again = 30000;
      } else if (r.ok) {
        this.data = await r.json();
        this.renderPanel();
        this.map.requestRender();
      }
    } catch {
      again = 3000;
    }
    if (this.running) this.timer = setTimeout(() => this.poll(), again);
  }

  threats() {
    const d = this.data;
    if (!d) return [];
    const out = [];
    for (const t of d.joint ?? []) out.push({ kind: 'joint', t });
    for (const t of d.own ?? []) out.push({ kind: 'own', t });
    for (const t of d.partner ?? []) out.push({ kind: 'partner', t });
    return out;
  }

  renderPanel() {
    const d = this.data;
    if (!d) return;
    this.panel.hidden = false;
    const threats = this.threats().filter((x) => x.t.impact);
    this.count.textContent = String(threats.length);
    if (!threats.length) {
      setChildren(this.list, [h('p', { class: 'empty' }, `No missile threats (${(d.warnings ?? []).length} launch warnings).`)]);
      return;
    }
    threats.sort((a, b) => (a.t.time_to_impact_s ?? 1e9) - (b.t.time_to_impact_s ?? 1e9));
    const rows = threats.map(({ kind, t }) => {
      const who = kind === 'partner' ? `${t.origin?.party ?? ''} ${t.origin?.centre ?? ''}` : kind === 'joint' ? 'JOINT' : d.party;
      const cities = (t.threat?.cities ?? []).map((c) => (c.inside ? c.name : `${c.name} (near)`));
      const advice = t.threat?.advice;
      const sites = (advice?.windows ?? []).map(
        (s) => `${s.site} (${s.party}) in ${fmtS(s.starts_in_s)}–${fmtS(s.ends_in_s)}, launch by ${fmtS(s.launch_by_in_s)}`,
      );
      const lines = [
        h('div', { class: 'missile-head' },
          h('b', { style: `color:${STYLE[kind]}` }, `${kind.toUpperCase()} ${t.key}`),
          ` ${who} · ${t.object ?? 'unknown'} · ${t.phase ?? ''}`),
        h('div', {}, `impact in ${fmtS(t.time_to_impact_s)} at ${t.impact.lat.toFixed(2)}, ${t.impact.lon.toFixed(2)} `
          + `(95 %: ${(t.impact.semi_major_m / 1000).toFixed(1)} × ${(t.impact.semi_minor_m / 1000).toFixed(1)} km)`),
        h('div', {}, `threatened: ${cities.length ? cities.join(', ') : 'no listed city'}`
          + `${t.threat?.country ? ` · ${t.threat.country}` : ''}${t.threat?.party ? ` (${t.threat.party})` : ''}`),
      ];
      if (t.lineage?.length) lines.push(h('div', { class: 'muted' }, `radars: ${t.lineage.map((l) => l.sensor).join(', ')}`));
      if (advice) {
        lines.push(h('div', { class: 'missile-advice' }, `advice: ${advice.text}`));
        if (sites.length) lines.push(h('div', { class: 'muted' }, `sites: ${sites.join('; ')}`));
        for (const [name, text] of advice.responses ?? []) lines.push(h('div', { class: 'muted' }, `${name}: ${text}`));
      }
      return h('div', { class: 'missile-threat', 'data-kind': kind }, ...lines);
    });
    setChildren(this.list, rows);
  }

  draw(ctx, map) {
    const d = this.data;
    const drawn = { fans: 0, ellipses: 0, tracks: 0, sites: 0 };
    if (!d) {
      this.drawn = drawn;
      return;
    }
    // Radar fans: boresight ± half the field of view out to the maximum range.
    for (const r of d.radars ?? []) {
      const colour = r.own ? 'rgba(255,210,63,' : 'rgba(53,208,255,';
      const pts = [[r.lat, r.lon]];
      const half = Math.min(180, r.fov_az_half_deg);
      const n = Math.max(8, Math.round(half / 3));
      for (let k = 0; k <= n; k++) {
        const brg = r.boresight_az_deg - half + (2 * half * k) / n;
        pts.push(destination(r.lat, r.lon, brg, r.max_range_m));
      }
      pts.push([r.lat, r.lon]);
      pathOf(ctx, map, pts);
      ctx.fillStyle = `${colour}0.06)`;
      ctx.fill();
      ctx.strokeStyle = `${colour}0.5)`;
      ctx.lineWidth = 1;
      ctx.stroke();
      const [x, y] = map.toScreen(r.lat, r.lon);
      label(ctx, `${r.name} (${r.party})`, x + 6, y - 10, r.own ? STYLE.own : STYLE.partner);
      drawn.fans++;
    }
    // Interceptor sites with their range rings.
    for (const s of d.interceptors ?? []) {
      const ring = [];
      for (let k = 0; k <= 64; k++) ring.push(destination(s.lat, s.lon, (360 * k) / 64, s.max_range_km * 1000));
      pathOf(ctx, map, ring);
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = 'rgba(120,255,150,0.7)';
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.setLineDash([]);
      const [x, y] = map.toScreen(s.lat, s.lon);
      ctx.beginPath();
      ctx.moveTo(x, y - 6);
      ctx.lineTo(x + 6, y);
      ctx.lineTo(x, y + 6);
      ctx.lineTo(x - 6, y);
      ctx.closePath();
      ctx.fillStyle = '#78ff96';
      ctx.fill();
      label(ctx, `${s.name} (${s.party})`, x + 8, y, '#9dffb3');
      drawn.sites++;
    }
    // Launch warnings: the coarse launch area.
    for (const w of d.warnings ?? []) {
      const ring = [];
      for (let k = 0; k <= 32; k++) ring.push(destination(w.lat, w.lon, (360 * k) / 32, w.radius_m));
      pathOf(ctx, map, ring);
      ctx.strokeStyle = '#ff8c3b';
      ctx.lineWidth = 1.5;
      ctx.stroke();
      const [x, y] = map.toScreen(w.lat, w.lon);
      label(ctx, `LAUNCH ${w.origin?.party ?? ''}`, x + 6, y + 12, '#ffb27a');
    }
    // Tracks, impact ellipses, launch points; joint tracks last (on top).
    const now = d.now;
    for (const { kind, t } of this.threats().reverse()) {
      const colour = STYLE[kind];
      if (t.impact) {
        const i = t.impact;
        pathOf(ctx, map, ellipsePoints(i.lat, i.lon, Math.max(i.semi_major_m, 200), Math.max(i.semi_minor_m, 200), i.orientation_deg));
        ctx.fillStyle = kind === 'joint' ? 'rgba(255,43,214,0.25)' : kind === 'own' ? 'rgba(255,210,63,0.15)' : 'rgba(53,208,255,0.15)';
        ctx.fill();
        ctx.strokeStyle = colour;
        ctx.lineWidth = kind === 'joint' ? 2.5 : 1.5;
        ctx.stroke();
        const [ix, iy] = map.toScreen(i.lat, i.lon);
        ctx.beginPath();
        ctx.moveTo(ix - 5, iy - 5);
        ctx.lineTo(ix + 5, iy + 5);
        ctx.moveTo(ix + 5, iy - 5);
        ctx.lineTo(ix - 5, iy + 5);
        ctx.stroke();
        drawn.ellipses++;
        // The track to its impact point.
        const [tx, ty] = map.toScreen(t.lat, t.lon);
        ctx.beginPath();
        ctx.moveTo(tx, ty);
        ctx.lineTo(ix, iy);
        ctx.setLineDash([6, 5]);
        ctx.lineWidth = 1;
        ctx.stroke();
        ctx.setLineDash([]);
        if (kind !== 'partner' || !d.joint?.length) {
          label(ctx, `${kind === 'joint' ? 'JOINT ' : ''}impact ${isNum(i.time) && isNum(now) ? fmtS(i.time - now) : ''}`, ix + 8, iy, colour);
        }
      }
      if (t.launch) {
        const [lx, ly] = map.toScreen(t.launch.lat, t.launch.lon);
        ctx.beginPath();
        ctx.moveTo(lx, ly - 6);
        ctx.lineTo(lx + 6, ly + 5);
        ctx.lineTo(lx - 6, ly + 5);
        ctx.closePath();
        ctx.strokeStyle = colour;
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
      const [x, y] = map.toScreen(t.lat, t.lon);
      ctx.beginPath();
      if (kind === 'joint') ctx.rect(x - 6, y - 6, 12, 12);
      else ctx.arc(x, y, kind === 'own' ? 5 : 6, 0, 2 * Math.PI);
      if (kind === 'partner') {
        ctx.strokeStyle = colour;
        ctx.lineWidth = 2;
        ctx.stroke();
      } else {
        ctx.fillStyle = colour;
        ctx.fill();
      }
      label(ctx, `${t.key} ${Math.round((t.alt_m ?? 0) / 1000)} km`, x + 9, y - 9, colour);
      drawn.tracks++;
    }
    this.drawn = drawn;
    map.canvas.dataset.missile = JSON.stringify(drawn);
  }
}
