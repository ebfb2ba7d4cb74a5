// The incidents panel: one card per incident with its state, the category ladder, the
// hand-over point, the workflow actions the server's workflow allows in the current state,
// an inline form for the actions that take arguments, and the timeline. Cards are kept and
// updated in place, so an update from the server never wipes a form being filled in. Roles
// are not checked here: the server decides, and its refusal is shown in the card.

import { h, setChildren, fmtTime, fmtDur, fmtLatLon, isNum, words, trackIdOf } from './util.js';

const MAX_CLOSED = 20;
const MAX_TIMELINE = 40;

/** One incident as the panel and the map use it, whatever the exact server shape. */
export function normalise(item, wf, audit) {
  const inc = item?.incident && typeof item.incident === 'object' ? item.incident : item;
  const levels = wf?.levels ?? [];
  const terminal = wf?.terminal ?? ['resolved', 'false_alarm', 'closed'];
  const level = isNum(inc.level) ? inc.level : null;
  const trackNo = item.track ?? null;
  const state = String(inc.state ?? 'unknown');
  return {
    id: inc.id,
    subject: inc.subject ?? '',
    trackId: trackNo !== null && trackNo !== undefined ? trackIdOf(trackNo) : trackIdOf(inc.subject),
    state,
    level,
    levelName: (level !== null ? levels[level] : null) ?? item.category ?? (level !== null ? String(level) : '—'),
    proposed: isNum(inc.proposed_level) ? inc.proposed_level : null,
    reached: Array.isArray(inc.level_reached) ? inc.level_reached : [],
    opened: inc.opened,
    updated: inc.updated,
    closed: inc.closed ?? null,
    open: !inc.closed && !terminal.includes(state),
    evidence: Array.isArray(inc.evidence) ? inc.evidence : [],
    timeline: Array.isArray(inc.timeline) ? inc.timeline : [],
    notified: Array.isArray(inc.notified) ? inc.notified : [],
    audit: (audit ?? []).filter((a) => a && a.incident === inc.id),
    plan: item.plan ?? null,
    geometry: item.geometry ?? inc.geometry ?? null,
  };
}

/** The first crossing into another party's airspace: the hand-over point. */
export function handoverOf(geometry) {
  for (const c of geometry?.crossings ?? []) {
    if (c && c.to_party && c.to_party !== c.from_party) return c;
  }
  return null;
}

export class IncidentsPanel {
  /**
   * @param {HTMLElement} root
   * @param {{post: Function, onSelect: Function, onShow: Function, onNew: Function,
   *          onAuthLost: Function, store: object}} hooks
   */
  constructor(root, countEl, hooks) {
    this.root = root;
    this.countEl = countEl;
    this.hooks = hooks;
    this.cards = new Map(); // id -> {el, item, parts}
    this.seen = new Set();
    this.acked = new Set();
    this.first = true;
    this.workflow = null;
    this.items = [];
    this.now = NaN;
  }

  reset() {
    this.cards.clear();
    this.seen.clear();
    this.acked.clear();
    this.first = true;
    this.items = [];
    setChildren(this.root, h('p', { class: 'empty' }, 'No incidents.'));
    this.countEl.textContent = '';
  }

  setWorkflow(wf) {
    this.workflow = wf;
    for (const c of this.cards.values()) this.renderCard(c, true);
  }

  /** How many incidents announce themselves (new and not yet clicked). */
  get unacked() {
    let n = 0;
    for (const c of this.cards.values()) if (c.el.classList.contains('new')) n++;
    return n;
  }

  update(msg) {
    this.now = msg.now;
    const wf = this.workflow;
    const items = (msg.incidents ?? []).map((x) => normalise(x, wf, msg.audit)).filter((x) => x.id !== undefined);
    // Open first (newest change first), then the latest closed ones.
    const open = items.filter((x) => x.open).sort((a, b) => (b.updated ?? 0) - (a.updated ?? 0));
    const closed = items.filter((x) => !x.open).sort((a, b) => (b.closed ?? b.updated ?? 0) - (a.closed ?? a.updated ?? 0));
    const shown = open.concat(closed.slice(0, MAX_CLOSED));
    this.items = items;

    let fresh = 0;
    const initial = wf?.states?.[0] ?? 'detected';
    for (const it of items) {
      if (this.seen.has(it.id)) continue;
      this.seen.add(it.id);
      // On the first load only incidents nobody has looked at yet (still in the initial
      // state) announce themselves; later every incident that appears does.
      if (it.open && (!this.first || it.state === initial)) {
        it.isNew = true;
        fresh++;
      }
    }
    this.first = false;

    const keep = new Set(shown.map((x) => x.id));
    for (const [id, c] of this.cards) {
      if (!keep.has(id)) {
        c.el.remove();
        this.cards.delete(id);
      }
    }
    let prev = null;
    for (const it of shown) {
      let c = this.cards.get(it.id);
      if (!c) {
        c = this.createCard(it);
        this.cards.set(it.id, c);
      }
      if (it.isNew && !this.acked.has(it.id)) c.el.classList.add('new');
      const stateChanged = c.item && c.item.state !== it.state;
      c.item = it;
      this.renderCard(c, stateChanged);
      // Keep DOM order without re-inserting cards that are already in place.
      const want = prev ? prev.nextSibling : this.root.firstChild;
      if (want !== c.el) this.root.insertBefore(c.el, want);
      prev = c.el;
    }
    this.root.querySelector(':scope > p.empty')?.remove();
    if (!shown.length) setChildren(this.root, h('p', { class: 'empty' }, 'No incidents.'));
    this.countEl.textContent = `${open.length} open / ${items.length}`;
    if (fresh) this.hooks.onNew?.(fresh);
    return items;
  }

  createCard(it) {
    const parts = {
      id: h('span', { class: 'id' }),
      newtag: h('span', { class: 'newtag' }, 'NEW'),
      subject: h('span', { class: 'subject' }),
      state: h('span', { dataset: { field: 'state' } }),
      level: h('span', { dataset: { field: 'level' } }),
      ladder: h('div', { class: 'ladder' }),
      situation: h('div', { class: 'situation' }),
      handover: h('div', { class: 'handover', hidden: true }),
      handoverText: h('span'),
      actions: h('div', { class: 'actions' }),
      form: h('div', { class: 'form-slot' }),
      msg: h('div', { class: 'msg' }),
      timelineSummary: h('summary'),
      timeline: h('ol', { class: 'timeline' }),
      evidenceSummary: h('summary'),
      evidence: h('ul', { class: 'evidence' }),
    };
    const head = h('div', { class: 'head', title: 'Show the track; acknowledges the flash' },
      parts.id, parts.newtag, parts.subject, parts.state, parts.level);
    const el = h('div', { class: 'incident', dataset: { id: it.id, track: it.trackId ?? '' } },
      head, parts.ladder, parts.situation, parts.handover, parts.actions, parts.form, parts.msg,
      h('details', { class: 'tl', open: it.open }, parts.timelineSummary, parts.timeline),
      h('details', { class: 'ev' }, parts.evidenceSummary, parts.evidence));
    const c = { el, parts, item: null };
    // Built once and only its text updated: the geometry changes every second, and a
    // button rebuilt that often would swallow clicks.
    parts.handover.append(h('b', null, 'Hand-over: '), parts.handoverText, ' ',
      h('button', { type: 'button', onclick: (e) => {
        e.stopPropagation();
        const ho = handoverOf(c.item?.geometry);
        if (ho) this.hooks.onShow?.(...(ho.pos ? [ho.pos.lat, ho.pos.lon] : [ho.lat, ho.lon]));
      } }, 'show'));
    // Any click in the card acknowledges its flash; a click on the head also shows the track.
    el.addEventListener('click', () => this.ack(c));
    head.addEventListener('click', () => {
      if (c.item?.trackId) this.hooks.onSelect?.(c.item.trackId, true);
    });
    return c;
  }

  ack(c) {
    this.acked.add(c.item?.id);
    c.el.classList.remove('new');
    this.hooks.onAck?.();
  }

  renderCard(c, actionsToo) {
    const it = c.item;
    if (!it) return;
    const p = c.parts;
    const wf = this.workflow;
    c.el.classList.toggle('open', it.open);
    c.el.classList.toggle('closed', !it.open);
    p.newtag.hidden = !c.el.classList.contains('new');
    p.id.textContent = `INC-${it.id}`;
    const t = it.trackId ? this.hooks.store?.get(it.trackId) : null;
    p.subject.textContent = [it.trackId ?? it.subject, t?.callsign, it.plan ? `plan ${it.plan}` : null].filter(Boolean).join(' · ');
    p.state.textContent = words(it.state);
    p.level.textContent = it.levelName;

    // The category ladder: reached levels, the current one, a proposal awaiting an operator.
    const levels = wf?.levels ?? [];
    if (levels.length) {
      setChildren(p.ladder, levels.map((name, i) => {
        const cls = [
          `lvl-${i}`,
          it.reached[i] !== null && it.reached[i] !== undefined ? 'reached' : '',
          i === it.level ? 'current' : '',
          i === it.proposed ? 'proposed' : '',
        ].filter(Boolean).join(' ');
        const title = i === it.proposed ? `${name}: proposed by the rules, needs an operator` :
          isNum(it.reached[i]) ? `${name} since ${fmtTime(it.reached[i])}` : name;
        return h('span', { class: cls, title, dataset: { level: i } }, name);
      }));
    } else {
      setChildren(p.ladder);
    }

    // Where it is and who has been told.
    const g = it.geometry;
    const bits = [];
    if (isNum(it.opened)) bits.push(`opened ${fmtTime(it.opened)}`);
    if (g?.fir || g?.party) bits.push(`in ${g.fir ?? '—'}${g.party ? ` (${g.party})` : ''}`);
    const told = it.notified.map((n) => {
      const [ch, at] = Array.isArray(n) ? n : [n?.channel, n?.at];
      return `${channelName(ch)} ${fmtTime(at)}`;
    });
    if (told.length) bits.push(`notified: ${told.join(', ')}`);
    if (it.proposed !== null) bits.push(`proposed ${levels[it.proposed] ?? it.proposed}: awaiting operator`);
    p.situation.textContent = bits.join(' · ');

    const ho = it.open ? handoverOf(g) : null;
    p.handover.hidden = !ho;
    if (ho) {
      const [la, lo] = ho.pos ? [ho.pos.lat, ho.pos.lon] : [ho.lat, ho.lon];
      const dt = isNum(ho.t) && isNum(this.now) ? ` in ${fmtDur(ho.t - this.now)}` : '';
      p.handoverText.textContent = `enters ${ho.to ?? '—'} (${ho.to_party})${dt} at ${fmtLatLon(la, lo)}`;
    }

    if (actionsToo || !p.actions.childElementCount) this.renderActions(c);
    this.renderTimeline(c);
    setChildren(p.evidence, it.evidence.map((e) =>
      h('li', null, h('b', null, words(e.kind)), ` since ${fmtTime(e.started)}: ${e.detail ?? ''}`)));
    p.evidenceSummary.textContent = `Evidence (${it.evidence.length})${it.evidence.length ? ': ' + [...new Set(it.evidence.map((e) => words(e.kind)))].join(', ') : ''}`;
  }

  /** Actions whose `from` includes the state (an empty `from`: any non-terminal state). */
  allowedActions(it) {
    const wf = this.workflow;
    if (!wf?.actions) return [];
    const terminal = wf.terminal ?? [];
    return wf.actions.filter((a) => {
      const from = Array.isArray(a.from) ? a.from : [];
      return from.length ? from.includes(it.state) : !terminal.includes(it.state);
    });
  }

  renderActions(c) {
    const it = c.item;
    const acts = this.allowedActions(it);
    setChildren(c.parts.actions, acts.map((a) => h('button', {
      type: 'button',
      class: `role-${a.role ?? 'any'}`,
      title: `${words(a.name)}${a.to ? ` → ${words(a.to)}` : ''} (role: ${a.role ?? 'any'})`,
      dataset: { action: a.name },
      onclick: (e) => {
        e.stopPropagation();
        this.ack(c);
        this.startAction(c, a);
      },
    }, words(a.name))));
    if (!acts.length && !this.workflow) c.parts.actions.append(h('span', { class: 'muted' }, 'No workflow from the server.'));
    // A form for an action no longer allowed in the new state goes away.
    const f = c.parts.form.firstChild;
    if (f && !acts.some((a) => a.name === f.dataset.formAction)) setChildren(c.parts.form);
  }

  startAction(c, a) {
    const needs = a.needs_reason || a.needs_remark || a.needs_party || a.sets_level;
    if (!needs) {
      setChildren(c.parts.form);
      this.send(c, { action: a.name });
      return;
    }
    const it = c.item;
    const levels = this.workflow?.levels ?? [];
    const fields = [];
    if (a.sets_level) {
      const next = Math.min(levels.length - 1, (it.level ?? 0) + 1);
      fields.push(h('label', { for: `lvl-${it.id}` }, 'Level'),
        h('select', { name: 'level', id: `lvl-${it.id}` }, levels.map((name, i) =>
          h('option', { value: i, selected: i === next }, name))));
    }
    if (a.needs_reason) fields.push(h('label', null, 'Reason'), h('input', { name: 'reason', required: true, placeholder: 'why (kept in the audit trail)' }));
    if (a.needs_remark) fields.push(h('label', null, 'Remark'), h('input', { name: 'remark', required: true }));
    if (a.needs_party) {
      const ho = handoverOf(it.geometry);
      fields.push(h('label', null, 'Party'), h('input', { name: 'party', required: true, value: ho?.to_party ?? '', placeholder: 'e.g. RU' }));
    }
    const form = h('form', { class: 'action-form', dataset: { formAction: a.name }, novalidate: true },
      h('div', { class: 'title' }, words(a.name)),
      fields,
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', dataset: { submit: '' } }, 'Send'),
        h('button', { type: 'button', onclick: () => setChildren(c.parts.form) }, 'Cancel')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = { action: a.name };
      const fd = new FormData(form);
      for (const k of ['reason', 'remark', 'party']) {
        const v = fd.get(k);
        if (typeof v === 'string' && v.trim()) body[k] = v.trim();
      }
      if (fd.has('level')) body.level = Number(fd.get('level'));
      this.send(c, body, form);
    });
    form.addEventListener('click', (e) => e.stopPropagation());
    setChildren(c.parts.form, form);
    form.querySelector('input, select')?.focus();
  }

  async send(c, body, form) {
    const id = c.item.id;
    const buttons = form ? form.querySelectorAll('button') : c.parts.actions.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    setChildren(c.parts.msg);
    try {
      const r = await this.hooks.post(`/api/incidents/${encodeURIComponent(id)}/actions`, body);
      if (r.status === 401) {
        this.hooks.onAuthLost?.();
        return;
      }
      if (!r.ok) {
        setChildren(c.parts.msg, h('p', { class: 'error' }, r.body?.error ?? `refused (HTTP ${r.status})`));
        return;
      }
      if (form) setChildren(c.parts.form);
      setChildren(c.parts.msg, h('p', { class: 'ok' }, `${words(body.action)}: done`));
      setTimeout(() => c.parts.msg.querySelector('.ok')?.remove(), 4000);
      // Show the answer at once when it is the incident; the next update confirms it.
      const inc = r.body?.incident && typeof r.body.incident === 'object' ? r.body.incident : r.body;
      if (inc && inc.id === id && typeof inc.state === 'string') {
        const merged = normalise({ ...r.body, incident: inc, geometry: c.item.geometry, track: undefined }, this.workflow, c.item.audit);
        merged.trackId = c.item.trackId;
        merged.plan = c.item.plan;
        const changed = merged.state !== c.item.state;
        c.item = merged;
        this.renderCard(c, changed);
      }
    } catch (e) {
      setChildren(c.parts.msg, h('p', { class: 'error' }, `not sent: ${e.message ?? e}`));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  renderTimeline(c) {
    const it = c.item;
    const levels = this.workflow?.levels ?? [];
    const lv = (i) => levels[i] ?? String(i);
    // Transitions of the incident plus the audit records the server sent for it, by seq.
    const bySeq = new Map();
    for (const a of it.audit) bySeq.set(a.seq, a);
    for (const t of it.timeline) bySeq.set(t.seq, { kind: 'transition', ...t });
    const all = [...bySeq.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    const shown = all.slice(-MAX_TIMELINE);
    setChildren(c.parts.timeline, shown.map((r) => {
      let text;
      const who = r.actor ? `${r.actor.user ?? '?'} (${r.actor.role ?? '?'})` : null;
      switch (r.kind) {
        case 'opened': text = `opened: ${words(r.state)}, ${lv(r.level)}`; break;
        case 'evidence': text = `evidence: ${(r.evidence ?? []).map((e) => words(e.kind)).join(', ')}`; break;
        case 'proposed': text = `rules propose ${lv(r.level)}: ${r.reason ?? ''}`; break;
        case 'notified': text = `notified ${channelName(r.channel)} (${words(r.state)}, ${lv(r.level)})`; break;
        case 'transition': {
          const lvl = r.from_level !== r.to_level ? ` · ${lv(r.from_level)} → ${lv(r.to_level)}` : '';
          const st = r.from_state !== r.to_state ? ` · ${words(r.from_state)} → ${words(r.to_state)}` : '';
          const extra = [r.reason && `“${r.reason}”`, r.remark && `remark: ${r.remark}`, r.party && `party ${r.party}`].filter(Boolean).join(' ');
          text = `${words(r.action)}${st}${lvl}${extra ? ' · ' + extra : ''}`;
          break;
        }
        default: text = `${words(r.kind ?? 'record')}`;
      }
      return h('li', null, h('span', { class: 't' }, fmtTime(r.at)), ' ', who ? h('b', null, who + ': ') : null, text);
    }));
    const last = all[all.length - 1];
    c.parts.timelineSummary.textContent = `Timeline (${all.length})${last ? ` · last ${fmtTime(last.at)}` : ''}`;
  }
}

function channelName(ch) {
  if (!ch) return '—';
  if (typeof ch === 'string') return words(ch);
  if (ch.partner) return `partner ${ch.partner}`;
  return JSON.stringify(ch);
}
