// The membership what-if on the map, loaded on first use: "Move a practice to another PCN…" in a
// team's panel picks a practice of the team's PCNs (GET /api/pcns/{code} lists a PCN's practices) and
// a PCN to join: the team's PCNs first, then the PCNs around the team (those sharing areas with its
// PCNs at the threshold, GET /api/pcns/{code}/overlaps), then the set's other PCNs; and adds the move
// to the what-if (whatif.ts), which POSTs it as practice_moves; the panel then shows the score and
// both PCNs' list sizes before → after. Nothing is stored: while a practice move is in the what-if,
// saving is disabled with the reason. A link's practice moves are checked here before the what-if
// asks for them (check): the practice must be in FROM (after the link's moves before it), FROM and
// TO PCNs of the workspace, TO another PCN; the others are left out, each with its reason.

import { api, type APIError, type Overlaps, type PCN } from './api';
import { h } from './dom';
import { displayName, fmtInt } from './format';
import type { TeamPCN, WhatIf as Result } from './teamsapi';
import type { PlannedPractice, WhatIf } from './whatif';

/** The PCN list size under which the PCN contract flags a PCN. */
const SMALL = 30000;

/** Each PCN's practices as GET /api/pcns/{code} gave them, or why it could not. */
const known = new Map<string, PCN | string>();
const pending = new Set<string>();
/** The form's choices, kept over the panel's redraws. */
const chosen = { practice: '', to: '', error: '' };

function need(code: string, t: string, redraw: () => void): void {
  if (known.has(code) || pending.has(code)) return;
  pending.add(code);
  api
    .pcn(code, t)
    .then(
      (p) => void known.set(code, p),
      (e: Error) => void known.set(code, `${code}: ${e.message}`),
    )
    .finally(() => {
      pending.delete(code);
      redraw();
    });
}

/** Each PCN's overlapping PCNs (at the threshold they were asked at), or null when they could not be had. */
const near = new Map<string, Overlaps | null>();
const nearPending = new Set<string>();

function needNear(code: string, t: string, redraw: () => void): void {
  const key = `${code}@${t}`;
  if (near.has(key) || nearPending.has(key)) return;
  nearPending.add(key);
  api
    .overlaps(code, t)
    .then(
      (o) => void near.set(key, o),
      () => void near.set(key, null), // the choice falls back to the team's and the set's PCNs
    )
    .finally(() => {
      nearPending.delete(key);
      redraw();
    });
}

export interface Choice {
  label: string;
  pcns: { code: string; name: string }[];
}

/** The PCNs a practice can join, in groups: the team's PCNs, those around the team (sharing areas
 * with its PCNs), and the set's others; each PCN once, by name within a group. */
export function choices(team: { code: string; name: string }[], around: { code: string; name: string }[], set: { code: string; name: string }[]): Choice[] {
  const seen = new Set<string>();
  const group = (label: string, ps: { code: string; name: string }[]): Choice => ({
    label,
    pcns: ps
      .filter((p) => !seen.has(p.code) && (seen.add(p.code), true))
      .sort((a, b) => a.name.localeCompare(b.name) || a.code.localeCompare(b.code)),
  });
  return [group('In this team', team), group('Around this team', around), group('Elsewhere in the set', set)].filter((g) => g.pcns.length);
}

export interface FormDeps {
  /** The selected team's PCNs: their practices are offered. */
  team: TeamPCN[];
  /** The PCNs of the set's area: where a practice can go. */
  all: { code: string; name: string }[];
  threshold: string;
  whatif: WhatIf;
  redraw(): void;
  close(): void;
}

/** The PCN a practice is in after the what-if's practice moves. */
function current(w: WhatIf, practice: string, listed: string): string {
  let pcn = listed;
  for (const m of w.practices) if (m.practice === practice) pcn = m.to;
  return pcn;
}

/** The form: a practice of the team's PCNs, a PCN, and "Move". */
export function practiceForm(d: FormDeps): HTMLElement {
  for (const p of d.team) need(p.code, d.threshold, d.redraw);
  for (const p of d.team) needNear(p.code, d.threshold, d.redraw);
  const around = d.team.flatMap((p) => near.get(`${p.code}@${d.threshold}`)?.overlaps ?? []);
  const groups2 = choices(d.team, around, d.all);
  const names = new Map([...d.all, ...around, ...d.team].map((p) => [p.code, p.name]));
  const practices: { code: string; name: string; pcn: string }[] = [];
  const groups = d.team.map((p) => {
    const got = known.get(p.code);
    if (typeof got !== 'object') return null;
    const items = got.practices.map((x) => {
      const pcn = current(d.whatif, x.code, p.code);
      practices.push({ code: x.code, name: x.name, pcn });
      return h('option', { value: x.code, selected: x.code === chosen.practice }, `${displayName(x.name)} (${x.code}, ${fmtInt(x.list_size)})${pcn !== p.code ? ` now in ${displayName(names.get(pcn) || pcn)}` : ''}`);
    });
    return h('optgroup', { label: displayName(p.name) }, items);
  });
  const failed = d.team.map((p) => known.get(p.code)).filter((x): x is string => typeof x === 'string');
  const loading = d.team.some((p) => !known.has(p.code));
  const form: HTMLFormElement = h(
    'form',
    { class: 'practice-form', 'aria-labelledby': 'practice-form-title', 'data-testid': 'practice-form' },
    h('h4', { id: 'practice-form-title' }, 'Move a practice to another PCN'),
    h('p', { class: 'muted small' }, 'A membership what-if: the practice’s patients count for the PCN it joins. Nothing is stored.'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'practice-move-practice' }, 'Practice'),
      h(
        'select',
        { id: 'practice-move-practice', name: 'practice', required: true, 'aria-busy': String(loading) },
        h('option', { value: '', disabled: true, selected: !chosen.practice }, loading ? 'Loading the practices…' : 'Choose a practice…'),
        groups,
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'practice-move-to' }, 'Moves to PCN'),
      h(
        'select',
        { id: 'practice-move-to', name: 'to', required: true },
        h('option', { value: '', disabled: true, selected: !chosen.to }, 'Choose a PCN…'),
        groups2.map((g) =>
          h(
            'optgroup',
            { label: g.label },
            g.pcns.map((p) => h('option', { value: p.code, selected: p.code === chosen.to }, `${displayName(p.name)} (${p.code})`)),
          ),
        ),
      ),
    ),
    failed.length ? h('p', { class: 'error small', role: 'alert' }, `Practices not loaded: ${failed.join('; ')}`) : null,
    chosen.error ? h('p', { class: 'error small', role: 'alert' }, chosen.error) : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', id: 'practice-move-submit', class: 'button small', disabled: d.whatif.busy }, 'Move'),
      h('button', { type: 'button', id: 'practice-move-close', class: 'button small secondary', onclick: d.close }, 'Close'),
    ),
  );
  const value = (n: string) => (form.elements.namedItem(n) as HTMLSelectElement).value;
  form.addEventListener('change', () => {
    chosen.practice = value('practice');
    chosen.to = value('to');
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = practices.find((x) => x.code === value('practice'));
    const to = value('to');
    if (!p || !to) return;
    if (p.pcn === to) {
      chosen.error = `${displayName(p.name)} is already in ${displayName(names.get(to) || to)}.`;
      d.redraw();
      return;
    }
    chosen.error = '';
    chosen.practice = '';
    void d.whatif.add({ practice: p.code, from: p.pcn, to, name: p.name });
  });
  return form;
}

function sizes(before: number, after: number, small: boolean): HTMLElement {
  return h(
    'span',
    null,
    fmtInt(before),
    h('span', { class: 'muted' }, ' → '),
    h('strong', { class: 'list-after', 'data-value': after }, fmtInt(after)),
    small ? h('span', { class: 'error small-pcn', title: `Under the ${fmtInt(SMALL)} patients of the PCN contract` }, ` (under ${fmtInt(SMALL)})`) : null,
  );
}

/** The practice moves of the what-if and, once answered, both PCNs' list sizes before → after. */
export function render(ps: PlannedPractice[], r?: Result): HTMLElement {
  const ch = r?.practice_changes;
  return h(
    'table',
    { class: 'data practice-changes', 'data-testid': 'practice-changes' },
    h('caption', null, 'Practices moved, and the list sizes of the PCNs they leave and join'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Practice'), h('th', { scope: 'col' }, 'PCN left'), h('th', { scope: 'col' }, 'PCN joined'))),
    h(
      'tbody',
      null,
      ps.map((m, i) => {
        const c = ch && ch.length === ps.length ? ch[i] : undefined;
        return h(
          'tr',
          { 'data-practice': m.practice },
          h('th', { scope: 'row' }, displayName(c ? c.name : m.name), ' ', h('code', null, m.practice), c ? h('span', { class: 'muted small' }, ` · ${fmtInt(c.list_size)}`) : null),
          h('td', { class: 'from' }, c ? [displayName(c.from.name), ': ', sizes(c.from.list_before, c.from.list_after, c.small)] : m.from),
          h('td', { class: 'to' }, c ? [displayName(c.to.name), ': ', sizes(c.to.list_before, c.to.list_after, false)] : m.to),
        );
      }),
    ),
  );
}

/** The practice moves of a URL's pmoves (PRACTICE:FROM_PCN:TO_PCN, comma-separated), with the names
 * known from the moves made before; check tells which the page can ask for. */
export function decode(raw: string, known: PlannedPractice[]): PlannedPractice[] {
  const names = new Map(known.map((m) => [m.practice, m.name]));
  return raw
    .split(',')
    .map((part) => part.split(':'))
    .filter((p) => p.length === 3 && p.every(Boolean))
    .map(([practice, from, to]) => ({ practice, from, to, name: names.get(practice) ?? '' }));
}

/** Why the what-if cannot be saved while a practice is moved. */
export function saveNote(): HTMLElement {
  return h(
    'p',
    { id: 'whatif-save-disabled', class: 'muted small' },
    'Saving is disabled while a practice is moved: the release keeps the membership of its ePCN file, so a membership what-if is never stored. Undo the practice moves to save the area moves as a new set.',
  );
}

export interface CheckedPractices {
  kept: PlannedPractice[];
  /** Why each left-out move was left out, one line each. */
  dropped: string[];
}

/** A link's practice moves as the page can ask for them: each practice must be in its FROM PCN (the
 * PCN it is in after the link's moves before it), FROM and TO must be PCNs of the workspace and TO
 * another than FROM. pcn answers GET /api/pcns/{code} (a 404 is no such PCN). */
export async function checkPractices(ps: PlannedPractice[], pcn: (code: string) => Promise<PCN>): Promise<CheckedPractices> {
  const out: CheckedPractices = { kept: [], dropped: [] };
  const got = new Map<string, Promise<PCN | null>>();
  const load = (code: string) => {
    let p = got.get(code);
    if (!p) {
      p = pcn(code).catch((e: Error) => {
        if ((e as APIError).status === 404) return null; // an APIError; by its status, as the unit tests build their own
        throw e;
      });
      got.set(code, p);
    }
    return p;
  };
  const at = new Map<string, string>(); // practice → its PCN after the kept moves before
  const names = new Map<string, string>();
  for (const m of ps) {
    let why = '';
    const from = await load(m.from);
    const to = m.to === m.from ? null : await load(m.to);
    const listed = from?.practices.find((x) => x.code === m.practice);
    if (listed) names.set(m.practice, listed.name);
    const cur = at.get(m.practice) ?? (listed ? m.from : undefined);
    if (m.to === m.from) why = `moves nowhere (${m.from})`;
    else if (!from) why = `no PCN ${m.from} in this workspace`;
    else if (!to) why = `no PCN ${m.to} in this workspace`;
    else if (cur === undefined) why = `not a practice of ${displayName(from.name)} (${m.from})`;
    else if (cur !== m.from) why = `it is in ${cur} by then, not ${m.from}`;
    if (why) {
      out.dropped.push(`${m.practice}: ${why}`);
      continue;
    }
    at.set(m.practice, m.to);
    out.kept.push({ ...m, name: m.name || names.get(m.practice) || '' });
  }
  return out;
}

/** The practice moves of a link's pmoves, decoded and checked (see checkPractices). */
export function check(raw: string, known: PlannedPractice[], t: string, signal?: AbortSignal): Promise<CheckedPractices> {
  return checkPractices(decode(raw, known), (code) => api.pcn(code, t, signal));
}
