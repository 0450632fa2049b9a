// The "Teams" part of the page: choose a footprint set (GET /api/teams) to draw its teams over the
// choropleth; the panel shows the set's alignment score and coverage at the threshold and a team's
// PCN split (click it on the map or choose it in the list); a selected area can be moved to another
// team (whatif.ts), and a practice of the team's PCNs to another PCN (practicemove.ts, loaded on first
// use); sets can be imported (teamimport.ts), renamed (teamrename.ts) and deleted
// (teamdelete.ts). The chosen set, team and what-if moves live in the URL (moveurl.ts); moves from a
// link are checked against the set first (movecheck.ts), and those that no longer fit are left out
// with a note.

import { APIError, type Area } from './api';
import { announce, h, replace } from './dom';
import { displayName, fmt1, fmtDate, fmtInt, fmtShare } from './format';
import { featuresBBox, type MapView } from './map';
import { decodeMoves, encodeMoves } from './moveurl';
import { redraw } from './redraw';
import { fig, hint, restBar, shareBar } from './selection';
import { apiThreshold, formatPercent, type State } from './state';
import { TeamLayer } from './teamlayer';
import { SetRename } from './teamrename';
import { teamsAPI, type Alignment, type SetDetail, type SetSummary, type TeamMetrics } from './teamsapi';
import { fmtScore, WhatIf } from './whatif';

export interface TeamsDeps {
  view: MapView;
  /** The map's container, for the team labels. */
  mapEl: HTMLElement;
  field: HTMLElement;
  select: HTMLSelectElement;
  importButton: HTMLButtonElement;
  designButton: HTMLButtonElement;
  section: HTMLElement;
  state(): Readonly<State>;
  /** The page's store (store.ts): the URL and the map follow each change. */
  setState(patch: Partial<State>, opts?: { push?: boolean }): void;
  selectPCN(code: string): void;
}

const METHODS: Record<string, string> = {
  centroid: 'polygons, LSOAs by centroid',
  area: 'polygons, LSOAs shared by area',
  lsoa: 'LSOA list',
  msoa: 'MSOA list',
  designed: 'designed neighbourhoods',
  practice: 'practice list',
  edited: 'edited',
  suggested: 'suggested',
};

const SCORE_TIP =
  'The share of the PCN patients living in the teams who live in their PCN’s dominant team: 1 when no PCN’s patients are split between teams, 1/k when every PCN is split evenly over k teams.';

export class TeamsUI {
  private layer: TeamLayer;
  private whatif: WhatIf;
  private sets: SetSummary[] = [];
  private writable = false;
  private detail?: SetDetail;
  private alignment?: Alignment;
  private error = '';
  /** The selected area, offered for a move. */
  private area?: { code: string; name: string };
  /** What the last click on the map hit, so the team under the pointer wins over the area's. */
  private clicked?: { code?: string; team?: string };
  private ctrl?: AbortController;
  private seq = 0;
  private rename: SetRename;
  /** Why moves of a link were left out, until the next edit or set. */
  private note = '';
  private movesSeq = 0;
  /** The practice-move form is open. */
  private pmOpen = false;
  /** The set's neighbourhood profiles (teamprofile.ts, loaded on first use), by set and threshold. */
  private profile?: { key: string; view?: typeof import('./teamprofile'); data?: import('./teamprofile').Assessment; error?: string };

  constructor(private d: TeamsDeps) {
    this.layer = new TeamLayer(d.view, d.mapEl);
    this.whatif = new WhatIf({
      threshold: () => apiThreshold(this.d.state().threshold),
      writable: () => this.writable,
      changed: () => {
        this.layer.setMoved(this.whatif.codes());
        this.render();
      },
      saved: (name) => void this.afterSave(name),
      edited: () => this.movesEdited(),
    });
    this.rename = new SetRename({ redraw: () => this.render(), renamed: (from, to) => void this.afterRename(from, to) });
    d.select.addEventListener('change', () => void this.choose(d.select.value || undefined, { push: true, fit: true }));
    // The dialogs are loaded on first use: they are not needed to draw the map.
    d.importButton.addEventListener('click', async () => {
      const { openImport } = await import('./teamimport');
      openImport({
        imported: () => void this.loadSets(),
        show: (name) => void this.choose(name, { push: true, fit: true }),
      });
    });
    d.designButton.addEventListener('click', async () => {
      const { openDesign } = await import('./teamdesign');
      openDesign({
        saved: () => void this.loadSets(),
        show: (name) => void this.choose(name, { push: true, fit: true }),
      });
    });
    d.view.map.on('click', (e) => {
      const f = d.view.featureAt(e.point);
      this.clicked = { code: f?.properties?.code as string | undefined, team: this.layer.teamAt(e.point) };
    });
  }

  /** The team under a screen point, for the hover label. */
  teamAt(p: { x: number; y: number }): string | undefined {
    return this.layer.teamAt([p.x, p.y]);
  }

  /** Lists the sets and draws the one the URL names. */
  async start(): Promise<void> {
    if (!(await this.loadSets())) return;
    const want = this.d.state().teams;
    if (want) await this.choose(want, { team: this.d.state().team, moves: this.d.state().moves, pmoves: this.d.state().pmoves, fit: !this.d.state().view });
  }

  /** Reads GET /api/teams into the set chooser; false when the server has no such route. */
  private async loadSets(): Promise<boolean> {
    let r;
    try {
      r = await teamsAPI.sets();
    } catch {
      this.d.field.hidden = true; // no workspace (pre-built tiles) or an older server
      return false;
    }
    this.sets = r.sets;
    this.writable = r.writable;
    const cur = this.d.state().teams ?? '';
    replace(
      this.d.select,
      h('option', { value: '' }, this.sets.length ? 'None' : 'No sets yet'),
      this.sets.map((s) => h('option', { value: s.name, selected: s.name === cur, title: `${s.name}: ${s.teams} teams, ${METHODS[s.method] || s.method}` }, s.name)),
    );
    this.d.select.value = this.sets.some((s) => s.name === cur) ? cur : '';
    this.d.select.disabled = !this.sets.length;
    this.d.importButton.hidden = !this.writable;
    this.d.designButton.hidden = !this.writable;
    this.d.field.hidden = !this.sets.length && !this.writable;
    if (this.whatif.set) this.render();
    return true;
  }

  /** Draws a set (undefined: none) and loads its metrics; fit moves the view to its teams. */
  async choose(name: string | undefined, opts: { push?: boolean; team?: string; moves?: string; pmoves?: string; fit?: boolean } = {}): Promise<void> {
    const same = name === this.layer.name && name === this.detail?.name;
    this.d.setState(same ? { teams: name, team: opts.team } : { teams: name, team: opts.team, moves: opts.moves, pmoves: opts.pmoves }, { push: opts.push });
    const st = this.d.state();
    this.d.select.value = name && this.sets.some((s) => s.name === name) ? name : '';
    if (same) {
      this.layer.setSelected(st.team ?? '');
      this.render();
      return;
    }
    this.ctrl?.abort();
    this.layer.show(name);
    this.whatif.reset(name ?? '');
    this.rename.reset();
    this.detail = this.alignment = undefined;
    this.error = this.note = '';
    if (!name) {
      this.d.section.hidden = true;
      replace(this.d.section);
      return;
    }
    this.d.section.hidden = false;
    replace(this.d.section, h('p', { class: 'muted' }, `Loading ${name}…`));
    const ctrl = (this.ctrl = new AbortController());
    const seq = ++this.seq;
    if (opts.fit) void this.fit(name);
    const t0 = st.threshold;
    try {
      const [detail, al] = await Promise.all([teamsAPI.set(name, ctrl.signal), teamsAPI.alignment(name, apiThreshold(t0), ctrl.signal)]);
      if (seq !== this.seq) return;
      this.detail = detail;
      this.alignment = al;
      if (this.d.state().threshold !== t0) void this.setThreshold(this.d.state().threshold); // changed meanwhile
    } catch (e) {
      if ((e as Error).name === 'AbortError' || seq !== this.seq) return;
      this.error = e instanceof APIError && e.status === 404 ? `There is no footprint set “${name}” in this workspace.` : `The set could not be loaded: ${(e as Error).message}`;
    }
    if (this.area && !this.d.state().team) this.pickAreaTeam();
    this.layer.setSelected(this.d.state().team ?? '');
    this.render();
    if (this.alignment) announce(`${name}: alignment score ${fmtScore(this.alignment.score)}`);
    if (this.detail && (opts.moves || opts.pmoves)) await this.restoreMoves(opts.moves ?? '', opts.pmoves);
  }

  /** Makes the what-if moves those of a URL, left out those that do not fit the set, with a note. */
  private async restoreMoves(raw: string, praw = ''): Promise<void> {
    const det = this.detail;
    if (!det) return;
    const seq = ++this.movesSeq;
    const { moves, bad } = decodeMoves(raw);
    const names = new Map(this.whatif.moves.filter((m) => m.name).map((m) => [m.code, m.name]));
    let c, ps, mc;
    try {
      ps = praw ? await (this.whatif.pm ??= await import('./practicemove')).check(praw, this.whatif.practices, apiThreshold(this.d.state().threshold), this.ctrl?.signal) : { kept: [], dropped: [] };
      // Loaded when a link carries moves: not needed to draw the map.
      mc = await import('./movecheck');
      c = await mc.checkMoves(moves, det, names, this.ctrl?.signal);
    } catch (e) {
      // Aborted: another set was chosen. Anything else (the server unreachable, say) is shown, not lost.
      if ((e as Error).name !== 'AbortError' && seq === this.movesSeq) {
        this.error = `The link's moves could not be checked: ${(e as Error).message}`;
        this.render();
      }
      return;
    }
    if (seq !== this.movesSeq || det !== this.detail) return;
    this.note = mc.leftOut(bad, [...c.dropped, ...ps.dropped]);
    await this.whatif.load(c.kept, ps.kept);
    if (seq !== this.movesSeq || det !== this.detail) return;
    this.d.setState({ moves: encodeMoves(this.whatif.moves) || undefined, pmoves: this.pmURL() });
    if (this.note) announce(this.note);
  }

  /** A move was made, undone or cleared: the URL's history takes a step. */
  private movesEdited(): void {
    ++this.movesSeq;
    this.note = '';
    this.d.setState({ moves: encodeMoves(this.whatif.moves) || undefined, pmoves: this.pmURL() }, { push: true });
  }

  /** The practice moves as the URL writes them. */
  private pmURL(): string | undefined {
    return this.whatif.practices.map((p) => `${p.practice}:${p.from}:${p.to}`).join() || undefined;
  }

  private async fit(name: string): Promise<void> {
    await this.layer.loaded();
    if (this.layer.name !== name) return;
    const b = featuresBBox(this.layer.features());
    if (b) this.d.view.fit(b, 12);
  }

  /** The threshold changed: the teams' PCNs at the new one. */
  async setThreshold(t: number): Promise<void> {
    const name = this.detail?.name;
    if (!name) return;
    const seq = ++this.seq;
    try {
      const [al] = await Promise.all([teamsAPI.alignment(name, apiThreshold(t)), this.whatif.run()]);
      if (seq !== this.seq) return;
      this.alignment = al;
      this.error = '';
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = `The set could not be loaded: ${(e as Error).message}`;
    }
    this.render();
  }

  /** An area was selected (or the selection closed): offer it for a move, and show its team. */
  areaSelected(a: Area | undefined): void {
    this.area = a ? { code: a.code, name: a.name } : undefined;
    const click = this.clicked;
    this.clicked = undefined;
    if (!this.detail || !a) {
      if (this.detail) this.render();
      return;
    }
    if (click && click.code === a.code && click.team) this.selectTeam(click.team, false);
    else this.pickAreaTeam();
    this.render();
  }

  private pickAreaTeam(): void {
    const t = this.area && this.teamOf(this.area.code);
    if (t?.team) this.selectTeam(t.team, false);
  }

  /** The URL changed (back/forward). */
  async applyState(next: State): Promise<void> {
    if ((next.teams ?? '') !== (this.detail?.name ?? this.layer.name ?? '')) {
      await this.choose(next.teams, { team: next.team, moves: next.moves, pmoves: next.pmoves });
      return;
    }
    if ((next.team ?? '') !== this.layer.team) {
      this.layer.setSelected(next.team ?? '');
      this.render();
    }
    if (this.detail && ((next.moves ?? '') !== encodeMoves(this.whatif.moves) || next.pmoves !== this.pmURL())) await this.restoreMoves(next.moves ?? '', next.pmoves);
  }

  private selectedTeam(): string {
    return this.d.state().team ?? '';
  }

  private selectTeam(team: string, push: boolean): void {
    this.d.setState({ team: team || undefined }, { push });
    this.layer.setSelected(team);
    if (push) this.render();
  }

  /** The team holding most of an area's patients, after the what-if moves. */
  private teamOf(code: string): { team: string; share?: number } | undefined {
    let t: { team: string; share?: number } | undefined;
    const a = this.detail?.areas.find((x) => x.code === code);
    if (a) t = { team: a.team, share: a.share };
    for (const m of this.whatif.moves) if (m.code === code) t = { team: m.to };
    return t;
  }

  private async afterDelete(name: string): Promise<void> {
    await this.loadSets(); // first, so the panel closes on a chooser without the set
    await this.choose(undefined, { push: true });
    announce(`Deleted ${name}`);
    this.d.select.focus();
  }

  /** The set was renamed: the chooser, the layer, the URL and the panel take the new name; the moves stay. */
  private async afterRename(from: string, to: string): Promise<void> {
    if (this.d.state().teams !== from || !this.detail) return;
    this.d.setState({ teams: to });
    const st = this.d.state();
    this.detail = { ...this.detail, name: to };
    this.whatif.set = to;
    this.layer.show(to);
    this.layer.setSelected(st.team ?? '');
    this.layer.setMoved(this.whatif.codes());
    await this.loadSets();
    this.render();
    announce(`Renamed ${from} to ${to}`);
    document.getElementById('teams-title')?.focus();
  }

  private async afterSave(name: string): Promise<void> {
    await this.loadSets();
    await this.choose(name, { push: true });
    announce(`Saved as ${name}`);
  }

  // ---- the panel ----

  private render(): void {
    if (!this.d.state().teams) return;
    redraw(this.d.section, () => this.draw(), 'teams-title');
  }

  private draw(): void {
    const el = this.d.section;
    const det = this.detail;
    if (!det) {
      replace(el, header(this.d.state().teams!, () => void this.choose(undefined, { push: true })), this.error ? h('p', { class: 'error' }, this.error) : null);
      return;
    }
    const t = this.d.state().threshold;
    const al = this.whatif.current(this.alignment);
    const team = al?.teams.find((x) => x.name === this.selectedTeam());
    replace(
      el,
      header(det.name, () => void this.choose(undefined, { push: true })),
      h('p', { class: 'muted small set-meta' }, `${fmtInt(det.teams)} teams · ${METHODS[det.method] || det.method} · from ${det.source} · ${fmtDate(det.imported_at)}`),
      this.error ? h('p', { class: 'error', role: 'alert' }, this.error) : null,
      this.note ? h('p', { id: 'moves-note', class: 'notice small', role: 'status' }, this.note) : null,
      this.alignment
        ? h(
            'dl',
            { class: 'figs' },
            fig('Alignment score', h('strong', { class: 'team-score', 'data-score': this.alignment.score }, fmtScore(this.alignment.score)), SCORE_TIP),
            fig(
              'Coverage of the set’s PCNs',
              h('span', { class: 'team-coverage', 'data-coverage': this.alignment.coverage }, fmtShare(this.alignment.coverage)),
              `Of the patients of the ${fmtInt(this.alignment.coverage_pcns)} PCNs holding at least ${fmtShare(this.alignment.threshold)} of some team, the share who live in a team.`,
            ),
          )
        : null,
      this.moveForm(),
      this.whatif.render(),
      team ? this.teamDetails(team, t, this.whatif.any() > 0 && !!this.whatif.result) : null,
      team ? this.practiceBlock(team) : null,
      team && !this.whatif.any() ? this.profileBlock(det.name, team.name) : null,
      al ? this.teamList(al, t) : null,
      this.writable ? h('div', { class: 'set-admin' }, this.rename.render(det.name), deleteControl(det.name, () => void this.afterDelete(det.name))) : null,
    );
  }

  /** The selected team's neighbourhood profile: loaded once per set and threshold, then drawn. */
  private profileBlock(set: string, team: string): HTMLElement | null {
    const t = apiThreshold(this.d.state().threshold);
    const key = `${set}\u0000${t}`;
    if (this.profile?.key !== key) {
      this.profile = { key };
      void (async () => {
        try {
          const view = await import('./teamprofile');
          const data = await view.fetchAssessment(set, t);
          if (this.profile?.key === key) this.profile = { key, view, data };
        } catch (err) {
          if (this.profile?.key === key) this.profile = { key, error: err instanceof Error ? err.message : String(err) };
        }
        if (this.profile?.key === key) this.draw();
      })();
    }
    const p = this.profile;
    if (p.error) return h('p', { class: 'error small' }, `Neighbourhood profile: ${p.error}`);
    if (!p.view || !p.data) return h('p', { class: 'muted small', 'aria-busy': 'true' }, 'Loading the neighbourhood profile…');
    return p.view.renderProfile(p.data, team);
  }

  /** "Move a practice to another PCN…" for the selected team: practicemove.ts, loaded on first use. */
  private practiceBlock(tm: TeamMetrics): HTMLElement | null {
    const all = this.alignment?.pcns;
    const w = this.whatif;
    if (!all || this.detail!.method === 'practice') return null;
    if (!this.pmOpen || !w.pm)
      return h(
        'button',
        {
          type: 'button',
          id: 'practice-move-open',
          class: 'button small secondary',
          onclick: async () => {
            w.pm = await import('./practicemove');
            this.pmOpen = true;
            this.render();
          },
        },
        'Move a practice to another PCN…',
      );
    return w.pm.practiceForm({ team: tm.pcns, all, threshold: apiThreshold(this.d.state().threshold), whatif: w, redraw: () => this.render(), close: () => ((this.pmOpen = false), this.render()) });
  }

  /** "Move this area to team…", for the selected area. */
  private moveForm(): HTMLElement | null {
    const a = this.area;
    const det = this.detail!;
    if (!a || det.method === 'practice') return null;
    const cur = this.teamOf(a.code);
    const from = cur?.team ?? '';
    const names = det.team_list.map((x) => x.name).filter((n) => n !== from);
    const form: HTMLFormElement = h(
      'form',
      { class: 'move-form', 'data-code': a.code },
      h(
        'p',
        { class: 'small' },
        h('strong', null, a.name),
        ' ',
        h('code', null, a.code),
        from
          ? cur?.share !== undefined && cur.share < 0.995
            ? `: ${fmtShare(cur.share)} of its residents are in ${from}; a move takes that part.`
            : `: in ${from}.`
          : ': in no team.',
      ),
      h(
        'div',
        { class: 'move-row' },
        h('label', { for: 'move-to', class: 'sr-only' }, `Move ${a.name} to team`),
        h(
          'select',
          { id: 'move-to', name: 'to' },
          h('option', { value: '', disabled: true, selected: true }, 'Move this area to team…'),
          names.map((n) => h('option', { value: n }, n)),
          from ? h('option', { value: '\u0000' }, 'No team') : null,
        ),
        h('button', { type: 'submit', id: 'move-submit', class: 'button small' }, 'Move'),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = (form.elements.namedItem('to') as HTMLSelectElement).value;
      if (!v) return;
      void this.whatif.add({ code: a.code, name: a.name, from, to: v === '\u0000' ? '' : v });
    });
    return form;
  }

  private teamDetails(tm: TeamMetrics, t: number, edited: boolean): HTMLElement {
    const max = Math.max(0.0001, ...tm.pcns.map((p) => p.share));
    const shown = tm.pcns.reduce((s, p) => s + p.share, 0);
    const inPCN = tm.registered > 0 ? tm.in_pcn / tm.registered : 0;
    const under = Math.max(0, inPCN - shown);
    const outside = tm.registered > 0 ? Math.max(0, 1 - inPCN) : 0;
    const dom = tm.dominant_pcn;
    return h(
      'div',
      { class: 'team-details', 'data-team': tm.name },
      h('h3', { id: 'team-title' }, h('span', { class: 'badge badge-team' }, 'Team'), ' ', tm.name),
      edited ? h('p', { class: 'muted small' }, 'With the moves above.') : null,
      h(
        'dl',
        { class: 'figs' },
        fig('Registered patients', h('span', { class: 'team-registered', 'data-value': tm.registered }, fmtInt(tm.registered)), 'Patients registered at any GP practice who live in the team’s patch.'),
        fig(`PCNs ≥ ${formatPercent(t)}`, h('strong', { class: 'team-pcns', 'data-pcns': tm.pcns.length }, fmtInt(tm.pcns.length))),
        fig('Effective PCNs', tm.effective_pcns ? fmt1(tm.effective_pcns) : '–', '1 / HHI: how many equal-sized PCNs would give the same concentration.'),
        fig(
          'Largest PCN',
          dom
            ? h(
                'span',
                null,
                h('button', { type: 'button', class: 'link', onclick: () => this.d.selectPCN(dom.code) }, displayName(dom.name)),
                h('span', { class: 'muted' }, ` · ${fmtShare(tm.dominant_share)} of its residents`),
              )
            : 'none',
          undefined,
          true,
        ),
      ),
      h('h4', { id: 'team-shares-title' }, 'Residents by PCN'),
      h('p', { class: 'muted small' }, `Share of the team’s registered residents, PCNs with at least ${formatPercent(t)}.`),
      h(
        'ul',
        { class: 'bars', 'aria-labelledby': 'team-shares-title', 'data-testid': 'team-shares' },
        tm.pcns.map((p) => shareBar({ ...p, serves: true }, max, this.d, p.code === dom?.code)),
      ),
      under > 0.00005 ? restBar(`Other PCNs (each under ${formatPercent(t)})`, under, max) : null,
      outside > 0.00005 ? restBar('Practices in no PCN', outside, max) : null,
    );
  }

  private teamList(al: Alignment, t: number): HTMLElement {
    const sel = this.selectedTeam();
    return h(
      'div',
      { class: 'team-list' },
      h('h3', { id: 'team-list-title' }, 'Teams'),
      h(
        'ul',
        { class: 'plain-list', 'aria-labelledby': 'team-list-title' },
        al.teams.map((tm, i) =>
          h(
            'li',
            null,
            h(
              'button',
              { type: 'button', id: `team-choice-${i}`, class: 'team-choice', 'aria-pressed': String(tm.name === sel), 'data-team': tm.name, onclick: () => this.selectTeam(tm.name, true) },
              h('span', { class: 'team-name' }, tm.name),
              h('span', { class: 'muted small' }, `${fmtInt(tm.registered)} · ${tm.pcns.length} PCN${tm.pcns.length === 1 ? '' : 's'} ≥ ${formatPercent(t)}`),
            ),
          ),
        ),
      ),
    );
  }
}

/** "Delete this set…": the confirmation (teamdelete.ts) is loaded on first use. */
function deleteControl(set: string, deleted: () => void): HTMLElement {
  const box: HTMLElement = h(
    'div',
    { class: 'set-delete' },
    h('button', { type: 'button', id: 'set-delete', class: 'link danger', onclick: async () => (await import('./teamdelete')).openDelete(box, set, deleted) }, 'Delete this set…'),
  );
  return box;
}

function header(name: string, close: () => void): HTMLElement {
  return h(
    'header',
    { class: 'sel-header' },
    h('div', null, h('span', { class: 'badge badge-team' }, 'Teams'), hint('A footprint set: community teams’ patches, measured against the PCNs whose patients live there.')),
    h('h2', { id: 'teams-title', tabindex: '-1' }, name),
    h('button', { class: 'icon-button close', type: 'button', 'aria-label': 'Stop showing the footprint set', onclick: close }, '×'),
  );
}
