// Small helpers shared by the modules: DOM building without innerHTML (server text is never
// parsed as HTML), and the formats operators read (UTC times, durations, flight levels).

/** Creates an element: h('div', {class: 'x', dataset: {id: 1}, onclick}, child, 'text', ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
export { isNum };

/** Unix seconds to "HH:MM:SSZ" (UTC: the picture's time base is UTC everywhere). */
export function fmtTime(t) {
  if (!isNum(t)) return '—';
  return new Date(t * 1000).toISOString().slice(11, 19) + 'Z';
}

/** Unix seconds to "YYYY-MM-DD HH:MM:SSZ". */
export function fmtDateTime(t) {
  if (!isNum(t)) return '—';
  return new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
}

/** Seconds to "45 s", "3 min 20 s", "2 h 05 min". */
export function fmtDur(s) {
  if (!isNum(s)) return '—';
  const neg = s < 0;
  s = Math.abs(Math.round(s));
  let out;
  if (s < 60) out = `${s} s`;
  else if (s < 3600) out = `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  else out = `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return neg ? `-${out}` : out;
}

/** Altitude in feet to a flight level label ("FL350"), or feet below 1000 ft. */
export function fmtLevel(ft) {
  if (!isNum(ft)) return '—';
  if (ft < 1000) return `${Math.round(ft)} ft`;
  return 'FL' + String(Math.round(ft / 100)).padStart(3, '0');
}

export function fmtLatLon(lat, lon) {
  if (!isNum(lat) || !isNum(lon)) return '—';
  return `${Math.abs(lat).toFixed(4)}${lat >= 0 ? 'N' : 'S'} ${Math.abs(lon).toFixed(4)}${lon >= 0 ? 'E' : 'W'}`;
}

export function fmtNum(v, digits = 0, unit = '') {
  if (!isNum(v)) return '—';
  return v.toFixed(digits) + (unit ? ` ${unit}` : '');
}

/** Any JSON value as short text for a key/value list. */
export function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e4) / 1e4);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return JSON.stringify(v);
}

/** Turns snake_case into words ("squawk_7500" -> "squawk 7500"). */
export function words(s) {
  return String(s ?? '').replace(/_/g, ' ');
}

/** The UI's track id of a track number or an incident subject ("track:12" -> "T12"). */
export function trackIdOf(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return `T${v}`;
  const s = String(v);
  const m = /^track:(\d+)$/.exec(s);
  if (m) return `T${m[1]}`;
  if (/^\d+$/.test(s)) return `T${s}`;
  return s;
}
