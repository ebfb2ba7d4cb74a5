// The map: a Web Mercator projection (conformal, so a heading on the ground is the same angle
// on the screen and track symbols can be rotated by their true track), pan and zoom, and the
// static layers (land, coastlines, borders, graticule, airspace, sensors) cached in an
// offscreen canvas that is redrawn only when the view changes. Dynamic layers (tracks,
// incident geometry) are drawn on top each frame by the callers in `layers`.

const R_EARTH_M = 6371008.8;
const DEG = Math.PI / 180;
const MAX_LAT = 85;

/** Longitude / latitude (degrees) to Mercator x / y (radians; y grows northwards). */
export function mercX(lon) {
  return lon * DEG;
}
export function mercY(lat) {
  const l = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * DEG;
  return Math.log(Math.tan(Math.PI / 4 + l / 2));
}
export function invMercY(y) {
  return (2 * Math.atan(Math.exp(y)) - Math.PI / 2) / DEG;
}

/** Metres per Mercator unit at a latitude: the projection's scale there. */
export function metresPerUnit(lat) {
  return R_EARTH_M * Math.cos(lat * DEG);
}

/** The point `dist_m` from (lat, lon) on bearing `brg_deg` (great circle). */
export function destination(lat, lon, brgDeg, distM) {
  const d = distM / R_EARTH_M;
  const b = brgDeg * DEG;
  const p1 = lat * DEG;
  const l1 = lon * DEG;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [p2 / DEG, (((l2 / DEG) + 540) % 360) - 180];
}

/**
 * A ring of projected coordinates with its bounding box, for culling. Rings that cross the
 * antimeridian (Eurasia, Fiji, Antarctica in Natural Earth) are unwrapped: longitudes stay
 * continuous (Chukotka lies east of 180°) instead of jumping across the whole map, which
 * would turn the fill inside out along their latitudes.
 */
function projectRing(coords) {
  const xy = new Float64Array(coords.length * 2);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  let shift = 0;
  for (let i = 0; i < coords.length; i++) {
    if (i > 0) {
      const d = coords[i][0] - coords[i - 1][0];
      if (d > 180) shift -= 360;
      else if (d < -180) shift += 360;
    }
    const x = mercX(coords[i][0] + shift);
    const y = mercY(coords[i][1]);
    xy[2 * i] = x;
    xy[2 * i + 1] = y;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { xy, x0, y0, x1, y1 };
}

/** Every ring of a GeoJSON geometry (Polygon, MultiPolygon, LineString, MultiLineString). */
function ringsOf(geom) {
  if (!geom) return [];
  switch (geom.type) {
    case 'Polygon': return geom.coordinates;
    case 'MultiPolygon': return geom.coordinates.flat();
    case 'LineString': return [geom.coordinates];
    case 'MultiLineString': return geom.coordinates;
    case 'GeometryCollection': return geom.geometries.flatMap(ringsOf);
    default: return [];
  }
}

function ringsOfFeatures(fc) {
  if (!fc) return [];
  const feats = fc.type === 'FeatureCollection' ? fc.features : [fc];
  return feats.flatMap((f) => ringsOf(f.geometry ?? f));
}

const EUROPE = { lat0: 35, lon0: -10, lat1: 70, lon1: 40 };

export class MapView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onClick?: (x:number, y:number, ev:PointerEvent) => void, onView?: () => void}} hooks
   */
  constructor(canvas, hooks = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.hooks = hooks;
    // View: centre in Mercator units and scale in CSS pixels per unit.
    this.cx = mercX(15);
    this.cy = mercY(52);
    this.scale = 1200;
    this.w = 1;
    this.h = 1;
    this.dpr = 1;
    this.layers = [];
    this.viewVersion = 0;

    this.land = [];
    this.borders = [];
    this.airspace = [];
    this.sensors = [];
    this.homeBounds = null;

    this.base = document.createElement('canvas');
    this.baseCtx = this.base.getContext('2d', { alpha: false });
    this.baseView = null; // the view the cached basemap was drawn for
    this.baseTimer = 0;
    this.baseDirty = true;

    this.pending = false;
    this.frameStats = { renders: 0, lastMs: 0, maxMs: 0, baseMs: 0 };
    this.installInput();
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  // ---- projection ----

  /** Screen (CSS px, relative to the canvas) of a Mercator point. */
  sx(mx) {
    return (mx - this.cx) * this.scale + this.w / 2;
  }
  sy(my) {
    return (this.cy - my) * this.scale + this.h / 2;
  }
  /** Screen of a lat / lon. */
  toScreen(lat, lon) {
    return [this.sx(mercX(lon)), this.sy(mercY(lat))];
  }
  /** Lat / lon of a screen point. */
  fromScreen(x, y) {
    const mx = (x - this.w / 2) / this.scale + this.cx;
    const my = this.cy - (y - this.h / 2) / this.scale;
    return [invMercY(my), mx / DEG];
  }
  /** The visible Mercator box, with a margin in pixels. */
  visibleBox(marginPx = 0) {
    const hw = (this.w / 2 + marginPx) / this.scale;
    const hh = (this.h / 2 + marginPx) / this.scale;
    return { x0: this.cx - hw, x1: this.cx + hw, y0: this.cy - hh, y1: this.cy + hh };
  }

  // ---- view changes ----

  setView(cx, cy, scale) {
    this.cx = cx;
    this.cy = cy;
    // From the whole world down to a few hundred metres across.
    this.scale = Math.max(40, Math.min(2e6, scale));
    this.viewChanged();
  }

  viewChanged() {
    this.viewVersion++;
    this.scheduleBase();
    this.hooks.onView?.();
    this.requestRender();
  }

  /** Fits a lat / lon box in the canvas. */
  fitBounds(lat0, lon0, lat1, lon1, padPx = 30) {
    const x0 = mercX(Math.min(lon0, lon1)), x1 = mercX(Math.max(lon0, lon1));
    const y0 = mercY(Math.min(lat0, lat1)), y1 = mercY(Math.max(lat0, lat1));
    const sw = Math.max(1, this.w - 2 * padPx) / Math.max(1e-6, x1 - x0);
    const sh = Math.max(1, this.h - 2 * padPx) / Math.max(1e-6, y1 - y0);
    this.setView((x0 + x1) / 2, (y0 + y1) / 2, Math.min(sw, sh));
  }

  /** Back to the home view: the sensors' coverage, else the reference, else Europe. */
  fitHome() {
    const b = this.homeBounds ?? EUROPE;
    this.fitBounds(b.lat0, b.lon0, b.lat1, b.lon1);
  }

  zoomAt(factor, x = this.w / 2, y = this.h / 2) {
    // Keep the point under the cursor fixed.
    const mx = (x - this.w / 2) / this.scale + this.cx;
    const my = this.cy - (y - this.h / 2) / this.scale;
    const s = Math.max(40, Math.min(2e6, this.scale * factor));
    this.setView(mx - (x - this.w / 2) / s, my + (y - this.h / 2) / s, s);
  }

  centreOn(lat, lon) {
    this.setView(mercX(lon), mercY(lat), this.scale);
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width));
    const h = Math.max(1, Math.round(r.height));
    if (w === this.w && h === this.h && dpr === this.dpr) return;
    const first = this.w === 1;
    this.w = w;
    this.h = h;
    this.dpr = dpr;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.base.width = this.canvas.width;
    this.base.height = this.canvas.height;
    this.baseDirty = true;
    this.baseView = null;
    if (first) this.fitHome();
    else this.viewChanged();
  }

  installInput() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      c.setPointerCapture(ev.pointerId);
      drag = { x: ev.clientX, y: ev.clientY, cx: this.cx, cy: this.cy, moved: false };
    });
    c.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      c.classList.add('dragging');
      this.setView(drag.cx - dx / this.scale, drag.cy + dy / this.scale, this.scale);
    });
    const end = (ev) => {
      if (!drag) return;
      const wasClick = !drag.moved;
      drag = null;
      c.classList.remove('dragging');
      if (wasClick && ev.type === 'pointerup') {
        const r = c.getBoundingClientRect();
        this.hooks.onClick?.(ev.clientX - r.left, ev.clientY - r.top, ev);
      }
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = c.getBoundingClientRect();
      const unit = ev.deltaMode === 1 ? 33 : ev.deltaMode === 2 ? 400 : 1;
      this.zoomAt(Math.pow(1.0015, -ev.deltaY * unit), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    c.addEventListener('dblclick', (ev) => {
      const r = c.getBoundingClientRect();
      this.zoomAt(2, ev.clientX - r.left, ev.clientY - r.top);
    });
  }

  // ---- data for the static layers ----

  /** The Natural Earth TopoJSON (world-atlas countries-50m): land and country borders. */
  setBasemap(topo) {
    const tj = globalThis.topojson;
    if (!tj || !topo?.objects) return;
    const landObj = topo.objects.land ?? topo.objects.countries;
    this.land = ringsOfFeatures(tj.feature(topo, landObj)).map(projectRing);
    if (topo.objects.countries) {
      // Shared arcs only: land borders; coastlines come from the land outline.
      const mesh = tj.mesh(topo, topo.objects.countries, (a, b) => a !== b);
      this.borders = ringsOf(mesh).map(projectRing);
    }
    this.invalidateBase();
  }

  /** /data/layout.json: sensors, airspace and the home view. */
  setLayout(layout) {
    this.sensors = (layout?.sensors ?? []).filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon));
    const feats = layout?.airspace?.features ?? [];
    this.airspace = feats.map((f) => {
      const p = f.properties ?? {};
      const g = f.geometry ?? {};
      if (g.type === 'Point') {
        return { kind: p.kind ?? 'point', name: p.name ?? '', party: p.party, point: g.coordinates };
      }
      const rings = ringsOf(g).map(projectRing);
      // Label at the centre of the largest ring's box.
      let best = null;
      for (const r of rings) {
        const a = (r.x1 - r.x0) * (r.y1 - r.y0);
        if (!best || a > best.a) best = { a, x: (r.x0 + r.x1) / 2, y: (r.y0 + r.y1) / 2 };
      }
      return { kind: p.kind ?? 'area', name: p.name ?? p.id ?? '', party: p.party, rings, label: best };
    });
    for (const s of this.sensors) {
      const km = Number.isFinite(s.range_km) ? s.range_km : 0;
      const ring = [];
      if (km > 0) {
        for (let b = 0; b <= 360; b += 5) {
          const [la, lo] = destination(s.lat, s.lon, b, km * 1000);
          ring.push([lo, la]);
        }
      }
      s.coverage = ring.length ? projectRing(ring) : null;
    }
    this.homeBounds = homeBounds(layout, this.sensors);
    this.invalidateBase();
  }

  invalidateBase() {
    this.baseDirty = true;
    this.requestRender();
  }

  scheduleBase() {
    // During a drag or a wheel zoom the cached image is moved and scaled; it is redrawn at
    // full quality once the view has been still for a moment.
    clearTimeout(this.baseTimer);
    this.baseTimer = setTimeout(() => {
      this.baseDirty = true;
      this.requestRender();
    }, 120);
  }

  // ---- rendering ----

  requestRender() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame((t) => {
      this.pending = false;
      this.render(t);
    });
  }

  render(now) {
    const t0 = performance.now();
    const ctx = this.ctx;
    if (this.baseDirty || !this.baseView) {
      this.drawBase();
      this.frameStats.baseMs = performance.now() - t0;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const bv = this.baseView;
    if (bv.cx === this.cx && bv.cy === this.cy && bv.scale === this.scale) {
      ctx.drawImage(this.base, 0, 0);
    } else {
      ctx.fillStyle = BG;
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      const k = this.scale / bv.scale;
      const dx = (bv.cx - this.cx) * this.scale + this.w / 2 - (this.w / 2) * k;
      const dy = (this.cy - bv.cy) * this.scale + this.h / 2 - (this.h / 2) * k;
      ctx.drawImage(this.base, dx * this.dpr, dy * this.dpr, this.base.width * k, this.base.height * k);
    }
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    for (const layer of this.layers) layer.draw(ctx, this, now);
    const ms = performance.now() - t0;
    this.frameStats.renders++;
    this.frameStats.lastMs = ms;
    if (ms > this.frameStats.maxMs) this.frameStats.maxMs = ms;
  }

  drawBase() {
    const ctx = this.baseCtx;
    this.baseDirty = false;
    this.baseView = { cx: this.cx, cy: this.cy, scale: this.scale };
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = BG;
    ctx.fillRect(0, 0, this.base.width, this.base.height);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const box = this.visibleBox(20);

    // Land, then its outline (the coastline), then borders.
    ctx.beginPath();
    for (const r of this.land) this.tracePath(ctx, r, box, true);
    ctx.fillStyle = '#172431';
    ctx.fill('evenodd');
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#3f5873';
    ctx.stroke();
    ctx.beginPath();
    for (const r of this.borders) this.tracePath(ctx, r, box, false);
    ctx.strokeStyle = '#2f4257';
    ctx.setLineDash([4, 3]);
    ctx.stroke();
    ctx.setLineDash([]);

    this.drawGraticule(ctx);
    this.drawAirspace(ctx, box);
    this.drawSensors(ctx, box);
  }

  /** Adds a ring to the current path, culled by box and thinned to about a pixel. */
  tracePath(ctx, r, box, closed) {
    if (r.x1 < box.x0 || r.x0 > box.x1 || r.y1 < box.y0 || r.y0 > box.y1) return;
    const xy = r.xy;
    const n = xy.length / 2;
    const s = this.scale, hw = this.w / 2, hh = this.h / 2, cx = this.cx, cy = this.cy;
    let lx = (xy[0] - cx) * s + hw;
    let ly = (cy - xy[1]) * s + hh;
    ctx.moveTo(lx, ly);
    for (let i = 1; i < n; i++) {
      const x = (xy[2 * i] - cx) * s + hw;
      const y = (cy - xy[2 * i + 1]) * s + hh;
      if (i < n - 1 && Math.abs(x - lx) < 0.8 && Math.abs(y - ly) < 0.8) continue;
      ctx.lineTo(x, y);
      lx = x;
      ly = y;
    }
    if (closed) ctx.closePath();
  }

  drawGraticule(ctx) {
    // A grid step giving lines roughly 80-200 px apart.
    const [latTop, lonLeft] = this.fromScreen(0, 0);
    const [latBot, lonRight] = this.fromScreen(this.w, this.h);
    const degPerPx = (lonRight - lonLeft) / this.w;
    const steps = [0.25, 0.5, 1, 2, 5, 10, 20, 30];
    const step = steps.find((st) => st / degPerPx >= 90) ?? 30;
    ctx.beginPath();
    for (let lon = Math.ceil(lonLeft / step) * step; lon <= lonRight; lon += step) {
      const x = this.sx(mercX(lon));
      ctx.moveTo(x, 0);
      ctx.lineTo(x, this.h);
    }
    for (let lat = Math.ceil(Math.max(-80, latBot) / step) * step; lat <= Math.min(80, latTop); lat += step) {
      const y = this.sy(mercY(lat));
      ctx.moveTo(0, y);
      ctx.lineTo(this.w, y);
    }
    ctx.strokeStyle = 'rgba(120,150,180,0.10)';
    ctx.lineWidth = 1;
    ctx.stroke();
    ctx.fillStyle = 'rgba(140,165,190,0.45)';
    ctx.font = '10px ui-monospace, monospace';
    ctx.textBaseline = 'top';
    for (let lon = Math.ceil(lonLeft / step) * step; lon <= lonRight; lon += step) {
      ctx.fillText(`${+lon.toFixed(2)}°`, this.sx(mercX(lon)) + 2, 2);
    }
    ctx.textBaseline = 'bottom';
    for (let lat = Math.ceil(Math.max(-80, latBot) / step) * step; lat <= Math.min(80, latTop); lat += step) {
      ctx.fillText(`${+lat.toFixed(2)}°`, 2, this.sy(mercY(lat)) - 1);
    }
  }

  drawAirspace(ctx, box) {
    const styles = {
      fir: { stroke: '#6f8fb0', dash: [7, 4], width: 1.3, fill: null, label: '#8fb0d0' },
      release: { stroke: '#c9b037', dash: [2, 3], width: 1.5, fill: 'rgba(201,176,55,0.06)', label: '#d9c25a' },
      restricted: { stroke: '#e0474c', dash: [], width: 1.5, fill: 'rgba(224,71,76,0.13)', label: '#ff8a8d' },
    };
    const order = ['release', 'fir', 'restricted'];
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    for (const kind of order) {
      const st = styles[kind];
      for (const a of this.airspace) {
        if (!a.rings || (a.kind !== kind && !(kind === 'fir' && !styles[a.kind]))) continue;
        ctx.beginPath();
        for (const r of a.rings) this.tracePath(ctx, r, box, true);
        if (st.fill) {
          ctx.fillStyle = st.fill;
          ctx.fill('evenodd');
        }
        ctx.setLineDash(st.dash);
        ctx.lineWidth = st.width;
        ctx.strokeStyle = st.stroke;
        ctx.stroke();
        if (a.label && a.name) {
          const x = this.sx(a.label.x), y = this.sy(a.label.y);
          if (x > -50 && x < this.w + 50 && y > 0 && y < this.h) {
            ctx.fillStyle = st.label;
            const text = a.party ? `${a.name} (${a.party})` : a.name;
            ctx.fillText(text, x, y);
          }
        }
      }
    }
    ctx.setLineDash([]);
    // Points: cities and anything else named.
    ctx.textAlign = 'left';
    for (const a of this.airspace) {
      if (!a.point) continue;
      const [x, y] = this.toScreen(a.point[1], a.point[0]);
      if (x < -20 || x > this.w + 20 || y < -20 || y > this.h + 20) continue;
      ctx.fillStyle = '#e8eef5';
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = '#b9c7d6';
      ctx.fillText(a.name, x + 5, y);
    }
    ctx.textAlign = 'start';
  }

  drawSensors(ctx, box) {
    ctx.lineWidth = 1;
    for (const s of this.sensors) {
      if (!s.coverage) continue;
      ctx.beginPath();
      this.tracePath(ctx, s.coverage, box, true);
      ctx.strokeStyle = s.kind === 'adsb' ? 'rgba(53,208,255,0.35)' : 'rgba(70,130,200,0.55)';
      ctx.setLineDash(s.kind === 'adsb' ? [3, 4] : []);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const s of this.sensors) {
      const [x, y] = this.toScreen(s.lat, s.lon);
      ctx.beginPath();
      if (s.kind === 'radar') {
        // A radar: a square with a cross.
        ctx.rect(x - 4, y - 4, 8, 8);
        ctx.moveTo(x - 4, y);
        ctx.lineTo(x + 4, y);
        ctx.moveTo(x, y - 4);
        ctx.lineTo(x, y + 4);
      } else {
        // An ADS-B receiver: a triangle.
        ctx.moveTo(x, y - 5);
        ctx.lineTo(x + 5, y + 4);
        ctx.lineTo(x - 5, y + 4);
        ctx.closePath();
      }
      ctx.strokeStyle = '#7fb2e5';
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.fillStyle = '#7fb2e5';
      ctx.fillText(s.name ?? '', x + 7, y);
    }
  }
}

const BG = '#070c12';

function homeBounds(layout, sensors) {
  let b = null;
  const add = (lat, lon) => {
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
    if (!b) b = { lat0: lat, lon0: lon, lat1: lat, lon1: lon };
    b.lat0 = Math.min(b.lat0, lat);
    b.lat1 = Math.max(b.lat1, lat);
    b.lon0 = Math.min(b.lon0, lon);
    b.lon1 = Math.max(b.lon1, lon);
  };
  for (const s of sensors) {
    const km = Number.isFinite(s.range_km) && s.range_km > 0 ? s.range_km : 50;
    for (const brg of [0, 90, 180, 270]) {
      const [la, lo] = destination(s.lat, s.lon, brg, km * 1000);
      add(la, lo);
    }
  }
  if (b) return b;
  const ref = layout?.reference;
  if (ref && Number.isFinite(ref.lat) && Number.isFinite(ref.lon)) {
    return { lat0: ref.lat - 3, lon0: ref.lon - 5, lat1: ref.lat + 3, lon1: ref.lon + 5 };
  }
  return null;
}
