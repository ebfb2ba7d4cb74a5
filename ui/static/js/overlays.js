// Incident geometry on the map: the predicted path of each open incident's track, the FIR
// crossings (a crossing into another party's airspace is the hand-over point), the protected
// cities and restricted areas it would reach, and the fighters' intercept points. A few
// objects per incident, so they are drawn straight from the incident data every frame.

import { fmtDur, isNum } from './util.js';

const ll = (p) => {
  // Accepts [lat, lon], {lat, lon} and {pos: {lat, lon}}.
  if (Array.isArray(p)) return [p[0], p[1]];
  if (p?.pos) return [p.pos.lat, p.pos.lon];
  return [p?.lat, p?.lon];
};

export class IncidentLayer {
  constructor(store) {
    this.store = store;
    this.items = [];
    this.now = NaN;
  }

  /** Normalised incidents (see incidents.js) and the picture time they were computed at. */
  set(items, now) {
    this.items = items.filter((x) => x.open && x.geometry);
    this.now = now;
  }

  draw(ctx, map) {
    if (!this.items.length) return;
    ctx.font = 'bold 11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const it of this.items) {
      const g = it.geometry;
      const now = isNum(this.now) ? this.now : NaN;
      const selected = this.store.selected && this.store.selected === it.trackId;

      // Predicted path: from the track's position along the prediction.
      const pts = [];
      if (g.position) pts.push(ll(g.position));
      for (const p of g.path ?? []) pts.push(ll(p));
      if (pts.length > 1) {
        ctx.beginPath();
        pts.forEach(([la, lo], k) => {
          if (!isNum(la) || !isNum(lo)) return;
          const [x, y] = map.toScreen(la, lo);
          if (k === 0) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
        });
        ctx.setLineDash([8, 5]);
        ctx.strokeStyle = '#ff2bd6';
        ctx.lineWidth = selected ? 3 : 2;
        ctx.stroke();
        ctx.setLineDash([]);
      }

      // FIR crossings; one into another party's airspace is the hand-over point.
      for (const c of g.crossings ?? []) {
        const [la, lo] = ll(c);
        if (!isNum(la) || !isNum(lo)) continue;
        const [x, y] = map.toScreen(la, lo);
        const handover = (c.to_party ?? null) !== (c.from_party ?? null);
        const colour = handover ? '#ff2bd6' : '#9fb6cc';
        ctx.beginPath();
        ctx.moveTo(x - 7, y - 7);
        ctx.lineTo(x + 7, y + 7);
        ctx.moveTo(x + 7, y - 7);
        ctx.lineTo(x - 7, y + 7);
        ctx.strokeStyle = colour;
        ctx.lineWidth = 3;
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(x, y, 10, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.stroke();
        const dt = isNum(c.t) && isNum(now) ? ` in ${fmtDur(c.t - now)}` : '';
        const to = [c.to ?? '—', c.to_party ? `(${c.to_party})` : ''].join(' ').trim();
        label(ctx, `${handover ? 'HAND-OVER ' : ''}→ ${to}${dt}`, x + 13, y, colour);
      }
      for (const c of g.cities ?? []) {
        const [la, lo] = ll(c);
        if (!isNum(la) || !isNum(lo)) continue;
        const [x, y] = map.toScreen(la, lo);
        ctx.fillStyle = '#ff3b3b';
        ctx.fillRect(x - 4, y - 4, 8, 8);
        label(ctx, `${c.city ?? c.name ?? 'city'} in ${fmtDur(c.in_s)}`, x + 8, y, '#ff8a8d');
      }
      for (const r of g.restricted ?? []) {
        const [la, lo] = ll(r);
        if (!isNum(la) || !isNum(lo)) continue;
        const [x, y] = map.toScreen(la, lo);
        ctx.beginPath();
        ctx.moveTo(x, y - 6);
        ctx.lineTo(x + 6, y + 5);
        ctx.lineTo(x - 6, y + 5);
        ctx.closePath();
        ctx.fillStyle = '#e0474c';
        ctx.fill();
        label(ctx, `${r.area ?? r.name ?? 'restricted'} in ${fmtDur(r.in_s)}`, x + 8, y, '#ff8a8d');
      }
      for (const f of g.fighters ?? []) {
        const [la, lo] = ll(f);
        if (!isNum(la) || !isNum(lo)) continue;
        const [x, y] = map.toScreen(la, lo);
        const from = this.store.get(typeof f.track === 'number' ? `T${f.track}` : String(f.track));
        if (from) {
          const [fx, fy] = map.toScreen(from.lat, from.lon);
          ctx.beginPath();
          ctx.moveTo(fx, fy);
          ctx.lineTo(x, y);
          ctx.setLineDash([3, 4]);
          ctx.strokeStyle = '#35d0ff';
          ctx.lineWidth = 1.5;
          ctx.stroke();
          ctx.setLineDash([]);
        }
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.fillStyle = '#35d0ff';
        ctx.fill();
        label(ctx, `${f.callsign ?? f.track ?? 'fighter'} intercept ${fmtDur(f.time_to_intercept_s)}`, x + 8, y, '#8fe3ff');
      }
    }
  }
}

function label(ctx, text, x, y, colour) {
  const w = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(8,14,22,0.85)';
  ctx.fillRect(x - 2, y - 8, w + 4, 16);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}
