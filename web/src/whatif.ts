// The what-if of a footprint set: the page keeps a list of moves (an area from one team to another),
// POST /api/teams/{set}/whatif answers the metrics before and after them, and the panel shows the score
// before → after and what changed per team; undo, clear, and "save as a new set" (which needs the token).
// Practice moves (a practice from one PCN to another, practicemove.ts) join the same what-if; while
// there is one, saving is disabled: the release keeps the membership of its ePCN file.

import { APIError } from './api';
import { h } from './dom';
import { fmt2, fmtInt, fmtShare } from './format';
import { MOVED_COLOUR } from './teamlayer';
import { teamsAPI, type Alignment, type Move, type PracticeMove, type TeamMetrics, type WhatIf as Result } from './teamsapi';
import { formToken, token, tokenField } from './token';

/** A move as the page lists it: the API's move and the area's name ("" when not known). */
export interface PlannedMove extends Move {
  name: string;
}

/** A practice move as the page lists it, with the practice's name. */
export interface PlannedPractice extends PracticeMove {
  name: string;
}

export interface WhatIfDeps {
  threshold(): string;
  writable(): boolean;
  /** The moves or their result changed: redraw the panel and the moved areas. */
  changed(): void;
  /** The user changed the list (a move made, undone or cleared): a step of the URL's history. */
  edited(): void;
  /** The edited set was saved under a new name. */
  saved(name: string): void;
}

/** The score as the panel writes it. */
export const fmtScore = (v: number): string => v.toFixed(3);

export class WhatIf {
  set = '';
  moves: PlannedMove[] = [];
  practices: PlannedPractice[] = [];
  /** The practice-move view, loaded with the first practice move. */
  pm?: typeof import('./practicemove');
  /** Which list each move went to, in order (true: practices), for undo. */
  private log: boolean[] = [];
  result?: Result;
  error = '';
  busy = false;
  private seq = 0;
  private ctrl?: AbortController;
  private saveError = '';

  constructor(private d: WhatIfDeps) {}

  /** Forgets the moves (a new set was chosen). */
  reset(set: string): void {
    this.ctrl?.abort();
    this.set = set;
    this.moves = [];
    this.practices = [];
    this.log = [];
    this.result = undefined;
    this.error = this.saveError = '';
    this.busy = false;
  }

  /** Whether there is any move, of an area or a practice. */
  any(): number {
    return this.moves.length + this.practices.length;
  }

  /** The alignment as edited: after the moves, when there are any and their answer is in. */
  current(stored: Alignment | undefined): Alignment | undefined {
    return this.any() && this.result ? this.result.after : stored;
  }

  /** The codes of the moved areas. */
  codes(): string[] {
    return [...new Set(this.moves.map((m) => m.code))];
  }

  async add(m: PlannedMove | PlannedPractice): Promise<void> {
    const p = 'practice' in m;
    const list: (PlannedMove | PlannedPractice)[] = p ? this.practices : this.moves;
    list.push(m);
    this.log.push(p);
    const ok = await this.run();
    if (!ok) list.pop(), this.log.pop(); // the server refused it: keep the list it accepted
    this.d.changed();
    if (ok) this.d.edited();
  }

  async undo(): Promise<void> {
    (this.log.pop() ? this.practices : this.moves).pop();
    this.error = '';
    const done = this.run();
    this.d.edited();
    await done;
    this.d.changed();
  }

  clear(): void {
    this.ctrl?.abort();
    this.moves = [];
    this.practices = [];
    this.log = [];
    this.result = undefined;
    this.error = '';
    this.d.changed();
    this.d.edited();
  }

  /** Replaces the lists (from a link, or back/forward) and asks for their metrics; false when refused. */
  async load(moves: PlannedMove[], practices: PlannedPractice[]): Promise<boolean> {
    this.moves = moves;
    this.practices = practices;
    this.log = [...moves.map(() => false), ...practices.map(() => true)];
    this.error = '';
    const ok = await this.run();
    if (!ok) {
      this.error = this.error.replace(/^That move was not made/, 'The moves of the link were not made');
      this.moves = [];
      this.practices = [];
      this.log = [];
      this.result = undefined;
    }
    this.d.changed();
    return ok;
  }

  /** Asks for the metrics after the moves (at a new threshold too); false when the server refused them. */
  async run(): Promise<boolean> {
    this.ctrl?.abort();
    const seq = ++this.seq;
    if (!this.any()) {
      this.result = undefined;
      this.busy = false;
      return true;
    }
    const ctrl = (this.ctrl = new AbortController());
    this.busy = true;
    this.d.changed();
    try {
      const r = await teamsAPI.whatIf(this.set, this.d.threshold(), this.moves, '', '', ctrl.signal, this.practices);
      if (seq !== this.seq) return true;
      this.result = r;
      this.error = '';
      return true;
    } catch (e) {
      if ((e as Error).name === 'AbortError' || seq !== this.seq) return true;
      this.error = `That move was not made: ${(e as Error).message}`;
      return false;
    } finally {
      if (seq === this.seq) this.busy = false;
    }
  }

  private async save(form: HTMLFormElement): Promise<void> {
    const name = (form.elements.namedItem('save_as') as HTMLInputElement).value.trim();
    if (!name) return;
    const tok = formToken(form);
    this.busy = true;
    this.saveError = '';
    this.d.changed();
    try {
      await teamsAPI.whatIf(this.set, this.d.threshold(), this.moves, name, tok);
    } catch (e) {
      this.busy = false;
      if (e instanceof APIError && e.status === 401) token.clear();
      this.saveError = e instanceof APIError && e.status === 401 ? `The access token was not accepted: ${e.message}` : `Not saved: ${(e as Error).message}`;
      this.d.changed();
      return;
    }
    this.busy = false;
    this.d.saved(name);
  }

  /** The what-if block of the panel: the moves, the score before → after, the changes per team. */
  render(): HTMLElement | null {
    const n = this.any();
    if (!n && !this.error) return null;
    const r = this.result;
    return h(
      'div',
      { class: 'whatif', 'aria-busy': String(this.busy), 'data-testid': 'whatif' },
      h('h3', { id: 'whatif-title' }, 'What if'),
      this.error ? h('p', { class: 'error', role: 'alert' }, this.error) : null,
      this.moves.length
        ? h(
            'ol',
            { class: 'moves', 'aria-labelledby': 'whatif-title' },
            this.moves.map((m) =>
              h('li', { 'data-code': m.code }, h('span', { class: 'swatch', style: `background:${MOVED_COLOUR}`, 'aria-hidden': 'true' }), m.name ? `${m.name} ` : null, h('code', null, m.code), `: ${m.from || 'no team'} → ${m.to || 'no team'}`),
            ),
          )
        : null,
      this.practices.length ? this.pm?.render(this.practices, r) : null,
      r && n ? changes(r) : n ? h('p', { class: 'muted' }, 'Working…') : null,
      n
        ? h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', id: 'whatif-undo', class: 'button small secondary', onclick: () => void this.undo() }, 'Undo last move'),
            h('button', { type: 'button', id: 'whatif-clear', class: 'button small secondary', onclick: () => this.clear() }, 'Clear moves'),
          )
        : null,
      n && r
        ? this.practices.length
          ? this.pm?.saveNote()
          : this.d.writable()
          ? this.saveForm()
          : h('p', { class: 'muted small' }, 'Saving the moves as a new set needs a server started with a token (--token).')
        : null,
    );
  }

  private saveForm(): HTMLFormElement {
    const form: HTMLFormElement = h(
      'form',
      { class: 'save-form', 'aria-label': 'Save as a new set' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'whatif-save-name' }, 'Save as a new set'),
        h('input', { id: 'whatif-save-name', name: 'save_as', type: 'text', required: true, maxlength: 200, placeholder: `${this.set} (edited)`, autocomplete: 'off' }),
      ),
      tokenField('whatif-token'),
      this.saveError ? h('p', { class: 'error small', role: 'alert' }, this.saveError) : null,
      h('button', { type: 'submit', id: 'whatif-save', class: 'button small', disabled: this.busy }, 'Save as new set'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.save(form);
    });
    return form;
  }
}

function arrow(before: string, after: string, changed: boolean): HTMLElement {
  return changed ? h('span', null, before, h('span', { class: 'muted' }, ' → '), h('strong', null, after)) : h('span', null, after);
}

/** The score before → after and a table of the teams whose figures changed. */
function changes(r: Result): HTMLElement {
  const before = new Map<string, TeamMetrics>(r.before.teams.map((t) => [t.name, t]));
  const rows = r.after.teams.map((a) => {
    const b = before.get(a.name);
    const reg = !!b && Math.round(b.registered) !== Math.round(a.registered);
    const pcns = !!b && b.pcns.length !== a.pcns.length;
    const dom = !!b && (b.dominant_pcn?.code !== a.dominant_pcn?.code || Math.abs(b.dominant_share - a.dominant_share) > 5e-4);
    return h(
      'tr',
      { class: reg || pcns || dom ? 'changed' : '', 'data-team': a.name },
      h('th', { scope: 'row' }, a.name),
      h('td', { class: 'num' }, arrow(fmtInt(b?.registered ?? 0), fmtInt(a.registered), reg)),
      h('td', { class: 'num' }, arrow(String(b?.pcns.length ?? 0), String(a.pcns.length), pcns)),
      h('td', { class: 'num' }, arrow(fmtShare(b?.dominant_share ?? 0), fmtShare(a.dominant_share), dom)),
    );
  });
  return h(
    'div',
    null,
    h(
      'p',
      { class: 'score-change' },
      'Alignment score ',
      h('strong', { class: 'score-before', 'data-score': r.before.score }, fmtScore(r.before.score)),
      h('span', { 'aria-label': ' becomes ' }, ' → '),
      h('strong', { class: 'score-after', 'data-score': r.after.score }, fmtScore(r.after.score)),
      h('span', { class: 'muted' }, ` (${r.after.score >= r.before.score ? '+' : '−'}${fmt2(Math.abs(r.after.score - r.before.score) * 100)} points)`),
    ),
    h(
      'table',
      { class: 'data team-changes' },
      h('caption', { class: 'sr-only' }, 'Each team before and after the moves'),
      h(
        'thead',
        null,
        h('tr', null, h('th', { scope: 'col' }, 'Team'), h('th', { scope: 'col', class: 'num' }, 'Registered'), h('th', { scope: 'col', class: 'num' }, 'PCNs'), h('th', { scope: 'col', class: 'num' }, 'Largest PCN')),
      ),
      h('tbody', null, rows),
    ),
  );
}
