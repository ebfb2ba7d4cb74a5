// The track store and its drawing. Thousands of tracks update every second, so the store is
// a set of typed arrays indexed by a slot number (no object per track on the hot path, no DOM
// per track), trails are fixed-size ring buffers inside one Float32Array, and drawing batches
// every track of one style into a single path: a handful of fill / stroke calls per frame
// whatever the number of tracks.

import { mercX, mercY, metresPerUnit } from './map.js';

// Flag bits of a `tracks` delta.
export const F_COAST = 1;
export const F_XPDR_LOST = 2;
export const F_PARTNER = 4;
export const F_ALERT = 8;

// Trail: one point every TRAIL_STEP_S seconds of picture time, TRAIL_N of them (two minutes).
const TRAIL_N = 12;
const TRAIL_STEP_S = 10;

// Style classes, in drawing order (later ones on top).
const C_COAST = 0, C_ADSB = 1, C_OWN = 2, C_PARTNER = 3, C_LOST = 4, C_E7600 = 5, C_E7700 = 6, C_E7500 = 7;
const N_CLASSES = 8;
const COLOURS = ['#5f8a72', '#35d0ff', '#3ddc84', '#ff9f1c', '#ff3b3b', '#c86bff', '#ff3b3b', '#ff2bd6'];
// Second colour of the blinking classes.
const BLINK = { [C_LOST]: '#ffffff', [C_E7600]: '#ffffff', [C_E7700]: '#ffffff', [C_E7500]: '#ff3b3b' };
// Per-slot typed arrays: name, type, values per slot. sxBuf / syBuf / cls hold the screen
// position and style class of the last render (hit testing without re-projecting).
const FIELDS = [
  ['lat', Float64Array, 1], ['lon', Float64Array, 1], ['mx', Float64Array, 1], ['my', Float64Array, 1],
  ['alt', Float32Array, 1], ['gs', Float32Array, 1], ['hdg', Float32Array, 1], ['sq', Int16Array, 1],
  ['flags', Uint8Array, 1], ['trailHead', Uint8Array, 1], ['trailLen', Uint8Array, 1],
  ['trailT', Float64Array, 1], ['trail', Float32Array, TRAIL_N * 2],
  ['sxBuf', Float32Array, 1], ['syBuf', Float32Array, 1], ['cls', Uint8Array, 1],
];
// A pixel of an ImageData seen as a Uint32Array, whatever the byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function pixel(r, g, b, a) {
  return (LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | a)) >>> 0;
}
const A_SHIFT = LITTLE_ENDIAN ? 24 : 0;
// Trail dot colours by age (index 0: newest).
const TRAIL_OWN = Array.from({ length: TRAIL_N }, (_, k) => pixel(120, 220, 170, Math.round(200 - (k * 150) / TRAIL_N)));
const TRAIL_PARTNER = Array.from({ length: TRAIL_N }, (_, k) => pixel(255, 159, 28, Math.round(200 - (k * 150) / TRAIL_N)));

const VECTOR = pixel(200, 215, 230, 130);

// Atlas rows of the blink-off colours of the blinking classes.
const BLINK_ROW = { [C_LOST]: N_CLASSES, [C_E7600]: N_CLASSES + 1, [C_E7700]: N_CLASSES + 2, [C_E7500]: N_CLASSES + 3 };
// Sprite size (CSS px) and heading steps of the atlas.
const SPRITE = 28;
const N_HEADINGS = 72;
const EMERGENCY_TEXT = { 7500: 'HIJACK 7500', 7600: 'RADIO 7600', 7700: 'EMERG 7700' };

// With no more than this many tracks in view, every track is labelled.
const LABEL_ALL_MAX = 300;

export class TrackStore {
  constructor(cap = 1024) {
    this.n = 0;
    this.cap = 0;
    this.index = new Map(); // id -> slot
    this.alloc(cap);
    this.now = NaN; // picture time of the last delta
    this.version = 0; // bumped on every change: the renderer's "data dirty"
    this.deltas = 0; // track entries applied (upserts + deletions), for the perf figures
    this.messages = 0;
    this.selected = null;
    this.emergencies = 0; // tracks with 7500/7600/7700 or transponder lost, for blinking
  }

  alloc(cap) {
    // Grows every per-slot array, keeping the first n slots.
    const n = this.n;
    for (const [k, T, per] of FIELDS) {
      const a = new T(cap * per);
      if (this[k]) a.set(this[k].subarray(0, n * per));
      this[k] = a;
    }
    for (const k of ['ids', 'callsign', 'squawk']) {
      const a = new Array(cap).fill(undefined);
      for (let i = 0; i < n; i++) a[i] = this[k][i];
      this[k] = a;
    }
    this.cap = cap;
  }

  get count() {
    return this.n;
  }

  clear() {
    this.n = 0;
    this.index.clear();
    this.version++;
  }

  /** Applies a `tracks` message. Returns the number of entries applied. */
  apply(msg) {
    this.messages++;
    if (Number.isFinite(msg.now)) this.now = msg.now;
    const upd = Array.isArray(msg.upd) ? msg.upd : [];
    let applied = 0;
    if (msg.full) {
      // A full set: drop every track it does not name (trails of the others are kept).
      const keep = new Set();
      for (const u of upd) keep.add(String(u[0]));
      for (let i = this.n - 1; i >= 0; i--) if (!keep.has(this.ids[i])) this.remove(this.ids[i]);
    }
    for (const u of upd) {
      this.upsert(u);
      applied++;
    }
    if (Array.isArray(msg.del)) {
      for (const id of msg.del) {
        this.remove(String(id));
        applied++;
      }
    }
    this.deltas += applied;
    this.version++;
    let e = 0;
    for (let i = 0; i < this.n; i++) if (this.sq[i] >= 7500 || (this.flags[i] & F_XPDR_LOST)) e++;
    this.emergencies = e;
    return applied;
  }

  upsert(u) {
    const id = String(u[0]);
    let i = this.index.get(id);
    const lat = num(u[1]);
    const lon = num(u[2]);
    if (i === undefined) {
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return; // nothing to place yet
      if (this.n === this.cap) this.alloc(this.cap * 2);
      i = this.n++;
      this.index.set(id, i);
      this.ids[i] = id;
      this.trailLen[i] = 0;
      this.trailHead[i] = 0;
      this.trailT[i] = -Infinity;
    }
    if (Number.isFinite(lat) && Number.isFinite(lon)) {
      const moved = lat !== this.lat[i] || lon !== this.lon[i];
      this.lat[i] = lat;
      this.lon[i] = lon;
      this.mx[i] = mercX(lon);
      this.my[i] = mercY(lat);
      const t = Number.isFinite(this.now) ? this.now : performance.now() / 1000;
      if (moved && t - this.trailT[i] >= TRAIL_STEP_S) this.pushTrail(i, t);
    }
    this.alt[i] = num(u[3]);
    this.gs[i] = num(u[4]);
    this.hdg[i] = num(u[5]);
    const sqs = u[6] == null ? null : String(u[6]);
    this.squawk[i] = sqs;
    this.sq[i] = sqs && /^[0-7]{4}$/.test(sqs) ? Number(sqs) : -1;
    this.callsign[i] = u[7] == null ? null : String(u[7]).trim() || null;
    let f = Number(u[8]) | 0;
    if (id.startsWith('P:')) f |= F_PARTNER;
    this.flags[i] = f;
  }

  pushTrail(i, t) {
    const h = (this.trailHead[i] + 1) % TRAIL_N;
    const o = (i * TRAIL_N + h) * 2;
    this.trail[o] = this.mx[i];
    this.trail[o + 1] = this.my[i];
    this.trailHead[i] = h;
    if (this.trailLen[i] < TRAIL_N) this.trailLen[i]++;
    this.trailT[i] = t;
  }

  remove(id) {
    const i = this.index.get(id);
    if (i === undefined) return;
    const last = --this.n;
    this.index.delete(id);
    if (i !== last) {
      // Move the last slot into the hole so the arrays stay dense.
      for (const [k, , per] of FIELDS) {
        if (per === 1) this[k][i] = this[k][last];
        else this[k].copyWithin(i * per, last * per, (last + 1) * per);
      }
      this.ids[i] = this.ids[last];
      this.callsign[i] = this.callsign[last];
      this.squawk[i] = this.squawk[last];
      this.index.set(this.ids[i], i);
    }
    this.ids[last] = undefined;
    this.callsign[last] = undefined;
    this.squawk[last] = undefined;
    if (this.selected === id) this.selected = null;
  }

  /** A plain object for one track (tests, details panel). */
  get(id) {
    const i = this.index.get(id);
    if (i === undefined) return null;
    const f = this.flags[i];
    return {
      id,
      lat: this.lat[i],
      lon: this.lon[i],
      alt_ft: nul(this.alt[i]),
      gs_kt: nul(this.gs[i]),
      track_deg: nul(this.hdg[i]),
      squawk: this.squawk[i],
      callsign: this.callsign[i],
      flags: f,
      coasting: !!(f & F_COAST),
      transponder_lost: !!(f & F_XPDR_LOST),
      partner: !!(f & F_PARTNER),
      alerted: !!(f & F_ALERT),
    };
  }

  /** Lat / lon box of every track, or null. */
  bounds() {
    if (!this.n) return null;
    let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
    for (let i = 0; i < this.n; i++) {
      a = Math.min(a, this.lat[i]);
      b = Math.min(b, this.lon[i]);
      c = Math.max(c, this.lat[i]);
      d = Math.max(d, this.lon[i]);
    }
    return { lat0: a, lon0: b, lat1: c, lon1: d };
  }
}

function num(v) {
  return v === null || v === undefined || v === '' ? NaN : Number(v);
}
function nul(v) {
  return Number.isFinite(v) ? v : null;
}

function classOf(store, i) {
  const sq = store.sq[i];
  if (sq === 7500) return C_E7500;
  if (sq === 7700) return C_E7700;
  if (sq === 7600) return C_E7600;
  const f = store.flags[i];
  if (f & F_XPDR_LOST) return C_LOST;
  if (f & F_PARTNER) return C_PARTNER;
  if (f & F_COAST) return C_COAST;
  return store.ids[i].charCodeAt(0) === 65 /* 'A' */ ? C_ADSB : C_OWN;
}

/** One symbol centred on (0, 0); `hdg` in degrees clockwise from north, NaN: unknown. */
function drawSymbol(g, c, hdg, colour) {
  g.beginPath();
  if (c === C_LOST) {
    // Transponder lost: hollow and struck through.
    g.arc(0, 0, 6, 0, 2 * Math.PI);
    g.moveTo(-4, -4);
    g.lineTo(4, 4);
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.stroke();
    return;
  }
  const emergency = c >= C_E7600;
  const sz = emergency ? 1.6 : 1;
  if (c === C_PARTNER) {
    // Partner tracks: a diamond, never rotated, so the shape alone tells them apart.
    g.moveTo(0, -6);
    g.lineTo(5, 0);
    g.lineTo(0, 6);
    g.lineTo(-5, 0);
    g.closePath();
  } else if (!Number.isFinite(hdg)) {
    g.rect(-4 * sz, -4 * sz, 8 * sz, 8 * sz);
  } else {
    // An arrowhead pointing along the track (y grows downwards).
    g.rotate(hdg * (Math.PI / 180));
    g.moveTo(0, -7 * sz);
    g.lineTo(5 * sz, 6 * sz);
    g.lineTo(0, 2.5 * sz);
    g.lineTo(-5 * sz, 6 * sz);
    g.closePath();
  }
  g.fillStyle = colour;
  g.fill();
  if (emergency) {
    g.strokeStyle = '#000';
    g.lineWidth = 1;
    g.stroke();
  }
}

/**
 * The layer that draws the store on the map. What changes only with the data or the view
 * (speed vectors, trails, ordinary symbols and their labels) is drawn into a cached canvas;
 * each frame blits it and draws the few things that blink (emergencies, transponder lost)
 * and the selection on top. Vectors, trail dots and ordinary symbols are written as pixels
 * into one ImageData (symbols from pre-rendered sprites): a few hundred thousand array
 * writes and one putImageData, instead of thousands of path or drawImage calls, which a
 * software-rendered canvas (no GPU) makes cost tens of milliseconds.
 */
export class TrackLayer {
  constructor(store) {
    this.store = store;
    this.allLabels = false;
    this.inView = 0;
    this.labelled = 0;
    this.rebuilds = 0;
    this.cache = document.createElement('canvas');
    this.cacheCtx = this.cache.getContext('2d');
    this.img = null;
    this.buf = null;
    this.cacheKey = '';
    this.atlas = null;
    this.sprites = null;
  }

  /** Whether anything blinks (the caller re-renders at the blink rate then). */
  get blinking() {
    return this.store.emergencies > 0;
  }

  draw(ctx, map, now) {
    const st = this.store;
    const blinkOn = Math.floor(now / 500) % 2 === 0;
    const key = `${st.version}|${map.viewVersion}|${map.canvas.width}x${map.canvas.height}|${st.selected}|${this.allLabels}`;
    if (key !== this.cacheKey) {
      this.rebuild(map);
      this.cacheKey = key;
      this.rebuilds++;
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.cache, 0, 0);
    ctx.restore();
    this.drawAlarming(ctx, map, blinkOn);
    this.drawSelected(ctx);
  }

  /** Projects every track, then redraws the cached canvas. */
  rebuild(map) {
    const st = this.store;
    const n = st.n;
    const s = map.scale, hw = map.w / 2, hh = map.h / 2, cx = map.cx, cy = map.cy;
    const W = map.w, H = map.h;
    const sxB = st.sxBuf, syB = st.syBuf, cls = st.cls;

    // Project, cull, classify.
    let inView = 0;
    for (let i = 0; i < n; i++) {
      const x = (st.mx[i] - cx) * s + hw;
      const y = (cy - st.my[i]) * s + hh;
      sxB[i] = x;
      syB[i] = y;
      if (x < -30 || y < -30 || x > W + 30 || y > H + 30) {
        cls[i] = 255;
        continue;
      }
      cls[i] = classOf(st, i);
      inView++;
    }
    this.inView = inView;

    const dw = map.canvas.width, dh = map.canvas.height;
    if (this.cache.width !== dw || this.cache.height !== dh) {
      this.cache.width = dw;
      this.cache.height = dh;
      this.img = new ImageData(dw, dh);
      this.buf = new Uint32Array(this.img.data.buffer);
    }
    // Vectors, trails and ordinary symbols as pixels, put as the cache's first layer.
    this.writePixels(map);
    const ctx = this.cacheCtx;
    ctx.putImageData(this.img, 0, 0);
    ctx.setTransform(map.dpr, 0, 0, map.dpr, 0, 0);

    // Halo of tracks with an alert or incident.
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (cls[i] === 255 || !(st.flags[i] & F_ALERT)) continue;
      ctx.moveTo(sxB[i] + 11, syB[i]);
      ctx.arc(sxB[i], syB[i], 11, 0, 2 * Math.PI);
    }
    ctx.strokeStyle = '#ffcc00';
    ctx.lineWidth = 2;
    ctx.stroke();

    // Labels: every track when few are in view, otherwise only the ones that matter. The
    // alarming ones are drawn each frame with their blinking tags (drawAlarming).
    const all = this.allLabels || inView <= LABEL_ALL_MAX;
    const picks = [];
    const alarming = [];
    const rest = [];
    // Labels that matter first; the others only where no label is yet (a grid of
    // label-sized cells), which also bounds the cost when the operator asks for all.
    const used = new Set();
    const cell = (i) => Math.floor((sxB[i] + 9) / 80) * 65536 + Math.floor((syB[i] + 13) / 28);
    for (let i = 0; i < n; i++) {
      const c = cls[i];
      if (c === 255) continue;
      if (c >= C_LOST) {
        alarming.push(i);
        used.add(cell(i));
      } else if ((st.flags[i] & F_ALERT) || st.ids[i] === st.selected) {
        picks.push(i);
        used.add(cell(i));
      } else if (all) rest.push(i);
    }
    for (const i of rest) {
      const k = cell(i);
      if (!used.has(k)) {
        used.add(k);
        picks.push(i);
      }
    }
    this.alarming = alarming;
    this.labelled = picks.length + alarming.length;
    drawLabels(ctx, st, picks);
  }

  /**
   * Speed vectors, trail dots and ordinary symbols written into the ImageData: sprite pixels
   * copied from the atlas, lines and dots set directly. No anti-aliasing for the lines and
   * dots, which at these sizes reads like a radar display anyway.
   */
  writePixels(map) {
    const st = this.store;
    const sp = this.spritesFor(map.dpr);
    const buf = this.buf;
    const W = this.cache.width, H = this.cache.height;
    const dpr = map.dpr;
    const { start, dx, dy, val, half } = sp;
    buf.fill(0);

    const s = map.scale, hw = map.w / 2, hh = map.h / 2, cx = map.cx, cy = map.cy;

    // Speed vectors: one minute ahead.
    for (let i = 0; i < st.n; i++) {
      if (st.cls[i] === 255) continue;
      const gs = st.gs[i], hd = st.hdg[i];
      if (!(gs > 0) || !Number.isFinite(hd)) continue;
      // Clamped: zoomed far in, a minute can be longer than the screen.
      const len = Math.min(((gs * 1852) / 60 / metresPerUnit(st.lat[i])) * s * dpr, W + H);
      if (len < 3) continue;
      const a = hd * (Math.PI / 180);
      const x0 = st.sxBuf[i] * dpr, y0 = st.syBuf[i] * dpr;
      const ex = Math.sin(a) * len, ey = -Math.cos(a) * len;
      const steps = Math.ceil(Math.max(Math.abs(ex), Math.abs(ey)));
      const fx = ex / steps, fy = ey / steps;
      for (let k = 2; k <= steps; k++) {
        const x = Math.round(x0 + fx * k), y = Math.round(y0 + fy * k);
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        buf[y * W + x] = VECTOR;
      }
    }

    // Trails as history dots, fading with age.
    const dot = Math.max(1, Math.round(1.5 * dpr));
    for (let i = 0; i < st.n; i++) {
      const c = st.cls[i];
      if (c === 255) continue;
      const colours = c === C_PARTNER ? TRAIL_PARTNER : TRAIL_OWN;
      const len = st.trailLen[i];
      const base = i * TRAIL_N;
      let h = st.trailHead[i];
      for (let k = 0; k < len; k++) {
        const o = (base + h) * 2;
        h = h === 0 ? TRAIL_N - 1 : h - 1;
        const X = Math.round(((st.trail[o] - cx) * s + hw) * dpr);
        const Y = Math.round(((cy - st.trail[o + 1]) * s + hh) * dpr);
        if (X < 0 || Y < 0 || X + dot > W || Y + dot > H) continue;
        const v = colours[k];
        for (let yy = 0; yy < dot; yy++) {
          const row = (Y + yy) * W + X;
          for (let xx = 0; xx < dot; xx++) buf[row + xx] = v;
        }
      }
    }

    for (let i = 0; i < st.n; i++) {
      const c = st.cls[i];
      if (c >= C_LOST) continue; // alarming ones (and 255: out of view) are drawn elsewhere
      const hd = st.hdg[i];
      const col = c === C_PARTNER || !Number.isFinite(hd) ? N_HEADINGS :
        Math.round((((hd % 360) + 360) % 360) / (360 / N_HEADINGS)) % N_HEADINGS;
      const k = c * (N_HEADINGS + 1) + col;
      const X = Math.round(st.sxBuf[i] * dpr), Y = Math.round(st.syBuf[i] * dpr);
      const inside = X - half >= 0 && Y - half >= 0 && X + half < W && Y + half < H;
      for (let j = start[k], e = start[k + 1]; j < e; j++) {
        const x = X + dx[j], y = Y + dy[j];
        if (!inside && (x < 0 || y < 0 || x >= W || y >= H)) continue;
        const idx = y * W + x;
        const v = val[j];
        const d = buf[idx];
        // Overlaps: the more opaque pixel wins (edges of neighbours stay crisp enough).
        if (d === 0 || ((v >>> A_SHIFT) & 255) >= ((d >>> A_SHIFT) & 255)) buf[idx] = v;
      }
    }
  }

  /** Emergencies and transponder-lost tracks: symbols, rings and tags, every frame. */
  drawAlarming(ctx, map, blinkOn) {
    const st = this.store;
    const list = (this.alarming ?? []).filter((i) => i < st.n && st.cls[i] >= C_LOST && st.cls[i] !== 255);
    if (!list.length) return;
    const atlas = this.atlasFor(map.dpr);
    const px = SPRITE * map.dpr;
    ctx.beginPath();
    for (const i of list) {
      if (st.cls[i] < C_E7600) continue;
      ctx.moveTo(st.sxBuf[i] + 18, st.syBuf[i]);
      ctx.arc(st.sxBuf[i], st.syBuf[i], 18, 0, 2 * Math.PI);
    }
    ctx.strokeStyle = blinkOn ? '#ff2bd6' : '#ff3b3b';
    ctx.lineWidth = 2.5;
    ctx.stroke();
    for (const i of list) {
      const c = st.cls[i];
      const row = blinkOn ? c : BLINK_ROW[c];
      const hd = st.hdg[i];
      const col = c === C_LOST || !Number.isFinite(hd) ? N_HEADINGS :
        Math.round((((hd % 360) + 360) % 360) / (360 / N_HEADINGS)) % N_HEADINGS;
      ctx.drawImage(atlas, col * px, row * px, px, px, st.sxBuf[i] - SPRITE / 2, st.syBuf[i] - SPRITE / 2, SPRITE, SPRITE);
    }
    drawLabels(ctx, st, list);
    ctx.font = 'bold 11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (const i of list) {
      const c = st.cls[i];
      const text = c === C_LOST ? 'XPDR LOST' : EMERGENCY_TEXT[st.sq[i]];
      const x = st.sxBuf[i] - 30, y = st.syBuf[i] - 38;
      ctx.fillStyle = c === C_LOST ? '#ff3b3b' : blinkOn ? COLOURS[c] : '#ff3b3b';
      ctx.fillRect(x, y, 76, 15);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, x + 3, y + 1);
    }
  }

  drawSelected(ctx) {
    const st = this.store;
    const i = st.selected ? st.index.get(st.selected) : undefined;
    if (i === undefined || st.cls[i] === 255) return;
    const x = st.sxBuf[i], y = st.syBuf[i], r = 14, k = 5;
    ctx.beginPath();
    // Corner brackets.
    for (const [dx, dy] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
      ctx.moveTo(x + dx * r, y + dy * (r - k));
      ctx.lineTo(x + dx * r, y + dy * r);
      ctx.lineTo(x + dx * (r - k), y + dy * r);
    }
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    ctx.stroke();
  }

  /** The sprite atlas for a device pixel ratio, built once. */
  atlasFor(dpr) {
    if (this.atlas && this.atlasDpr === dpr) return this.atlas;
    const rows = N_CLASSES + Object.keys(BLINK_ROW).length;
    const c = document.createElement('canvas');
    c.width = (N_HEADINGS + 1) * SPRITE * dpr;
    c.height = rows * SPRITE * dpr;
    const g = c.getContext('2d', { willReadFrequently: true });
    const draw = (row, cls, colour) => {
      for (let col = 0; col <= N_HEADINGS; col++) {
        g.setTransform(dpr, 0, 0, dpr, (col + 0.5) * SPRITE * dpr, (row + 0.5) * SPRITE * dpr);
        drawSymbol(g, cls, col === N_HEADINGS ? NaN : col * (360 / N_HEADINGS), colour);
      }
    };
    for (let cls = 0; cls < N_CLASSES; cls++) draw(cls, cls, COLOURS[cls]);
    for (const [cls, row] of Object.entries(BLINK_ROW)) draw(row, Number(cls), BLINK[cls]);
    this.atlas = c;
    this.atlasDpr = dpr;
    this.sprites = null;
    return c;
  }

  /** Each atlas cell as a list of its non-transparent pixels (offsets from the centre). */
  spritesFor(dpr) {
    const atlas = this.atlasFor(dpr);
    if (this.sprites) return this.sprites;
    const px = SPRITE * dpr;
    const cols = N_HEADINGS + 1;
    const rows = N_CLASSES;
    const data = new Uint32Array(atlas.getContext('2d', { willReadFrequently: true })
      .getImageData(0, 0, atlas.width, rows * px).data.buffer);
    const start = new Uint32Array(rows * cols + 1);
    const dx = [], dy = [], val = [];
    const half = Math.floor(px / 2);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        start[r * cols + c] = val.length;
        for (let y = 0; y < px; y++) {
          for (let x = 0; x < px; x++) {
            const v = data[(r * px + y) * atlas.width + c * px + x];
            if (((v >>> A_SHIFT) & 255) === 0) continue;
            dx.push(x - half);
            dy.push(y - half);
            val.push(v);
          }
        }
      }
    }
    start[rows * cols] = val.length;
    this.sprites = { start, dx: Int16Array.from(dx), dy: Int16Array.from(dy), val: Uint32Array.from(val), half };
    return this.sprites;
  }

  /** The track nearest to a screen point within `radius` px, from the last render. */
  hit(x, y, radius = 12) {
    const st = this.store;
    let best = null, bd = radius * radius;
    for (let i = 0; i < st.n; i++) {
      if (st.cls[i] === 255) continue;
      const dx = st.sxBuf[i] - x, dy = st.syBuf[i] - y;
      const d = dx * dx + dy * dy;
      if (d <= bd) {
        bd = d;
        best = st.ids[i];
      }
    }
    return best;
  }
}

/** Two-line data blocks (callsign; level, speed, squawk) for the given slots. */
function drawLabels(ctx, st, picks) {
  if (!picks.length) return;
  ctx.font = '11px ui-monospace, "DejaVu Sans Mono", monospace';
  ctx.textBaseline = 'top';
  const lines = new Array(picks.length);
  // Background boxes in one path, then the text.
  ctx.beginPath();
  for (let k = 0; k < picks.length; k++) {
    const i = picks[k];
    const l1 = st.callsign[i] ?? st.ids[i];
    const alt = st.alt[i];
    const fl = Number.isFinite(alt) ? (alt < 1000 ? `${Math.round(alt)}ft` : 'F' + String(Math.round(alt / 100)).padStart(3, '0')) : 'F---';
    const gs = Number.isFinite(st.gs[i]) ? String(Math.round(st.gs[i])) : '---';
    const l2 = `${fl} ${gs} ${st.squawk[i] ?? '----'}`;
    lines[k] = [l1, l2];
    ctx.rect(st.sxBuf[i] + 9, st.syBuf[i] - 13, Math.max(l1.length, l2.length) * 6.7 + 4, 26);
  }
  ctx.fillStyle = 'rgba(8,14,22,0.72)';
  ctx.fill();
  for (let k = 0; k < picks.length; k++) {
    const i = picks[k];
    const c = st.cls[i];
    const x = st.sxBuf[i] + 11, y = st.syBuf[i] - 12;
    ctx.fillStyle = c === C_COAST ? '#9fb8a8' : c === C_PARTNER ? '#ffc36b' : c === C_ADSB ? '#b8ecff' : c >= C_LOST ? '#ff9a9a' : '#d9f7e6';
    ctx.fillText(lines[k][0], x, y);
    ctx.fillStyle = '#b9c7d6';
    ctx.fillText(lines[k][1], x, y + 12);
  }
}
