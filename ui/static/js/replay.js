// The replay bar: shown only when the centre replays a recording (`vigil replay`), from the
// `replay` messages of the live feed. Play / pause, speed, and skip ahead to a time (the
// recording's UTC time of day, or +minutes). The server does what it is told and answers
// with the new state; the next `replay` message confirms it for every operator.

import { h, setChildren, fmtTime } from './util.js';

const SPEEDS = [1, 2, 5, 10, 30, 60, 0]; // 0: as fast as possible

export class ReplayBar {
  constructor(root, post) {
    this.root = root;
    this.post = post;
    this.state = null;
  }

  async send(body) {
    const r = await this.post('/api/replay', body);
    this.error(r.ok ? '' : (r.body?.error ?? `HTTP ${r.status}`));
    if (r.ok) this.update(r.body);
  }

  error(text) {
    const e = this.root.querySelector('.error');
    if (e) e.textContent = text;
  }

  update(s) {
    this.state = s;
    this.root.hidden = false;
    const paused = !!s.paused;
    const speed = s.speed ?? 0;
    const playPause = h('button', {
      type: 'button',
      dataset: { replay: paused ? 'play' : 'pause' },
      text: paused ? '▶ play' : '❚❚ pause',
      onclick: () => this.send({ action: paused ? 'play' : 'pause' }),
    });
    const select = h(
      'select',
      {
        name: 'speed',
        title: 'Replay speed',
        onchange: (e) => this.send({ action: 'speed', speed: Number(e.target.value) || null }),
      },
      ...SPEEDS.map((v) =>
        h('option', { value: String(v), selected: v === speed, text: v ? `${v}×` : 'max' }),
      ),
    );
    const input = h('input', {
      name: 'skip',
      size: 8,
      placeholder: 'hh:mm or +min',
      title: 'Skip ahead to a UTC time of the recording, or by minutes (+15)',
    });
    const skip = h('button', {
      type: 'button',
      dataset: { replay: 'skip' },
      text: 'skip',
      onclick: () => {
        const to = this.target(input.value.trim());
        if (to === null) this.error('give hh:mm (UTC, after now) or +minutes');
        else this.send({ action: 'skip', to });
      },
    });
    const where = Number.isFinite(s.position) ? fmtTime(s.position) : '—';
    const note = Number.isFinite(s.skipping_to) ? ` → skipping to ${fmtTime(s.skipping_to)}` : '';
    setChildren(
      this.root,
      h('span', { class: 'label', text: 'REPLAY' }),
      h('span', { class: 'mono', dataset: { field: 'position' }, text: where + note }),
      playPause,
      select,
      input,
      skip,
      h('span', { class: 'error' }),
    );
  }

  // "+15" → position + 15 min; "hh:mm" → that UTC time on the position's day (next day if past).
  target(text) {
    const pos = this.state?.position;
    if (!Number.isFinite(pos)) return null;
    const plus = /^\+(\d+(?:\.\d+)?)$/.exec(text);
    if (plus) return pos + Number(plus[1]) * 60;
    const hm = /^(\d{1,2}):(\d{2})$/.exec(text);
    if (!hm) return null;
    const day = Math.floor(pos / 86400) * 86400;
    let t = day + Number(hm[1]) * 3600 + Number(hm[2]) * 60;
    if (t <= pos) t += 86400;
    return t;
  }
}
