// Moves from a link, checked against the set before the what-if is asked for them, so that a stale or
// hand-edited link costs a note rather than a refused request: each team must be in the set, each area
// must be where the moves before it leave it (the set may have changed since the link was made), and an
// area the set does not touch must be an area of the workspace. The area names come from the search
// API, which answers 200 whether or not it finds the code.

import { api } from './api';
import type { Move, SetDetail } from './teamsapi';
import type { PlannedMove } from './whatif';

/** Names are looked up for at most this many moved areas; beyond, an area the set touches shows its code. */
const LOOKUPS = 60;

export interface Checked {
  kept: PlannedMove[];
  /** Why each left-out move was left out, one line each. */
  dropped: string[];
}

const team = (t: string) => (t ? `“${t}”` : 'no team');

/** names: the areas' names already known (the page's own moves), which need no lookup. */
export async function checkMoves(moves: Move[], det: SetDetail, names: Map<string, string>, signal?: AbortSignal): Promise<Checked> {
  const out: Checked = { kept: [], dropped: [] };
  if (!moves.length) return out;
  if (det.method === 'practice') {
    out.dropped.push(`${moves.length} move${moves.length === 1 ? '' : 's'}: this set is practice-based, it has no areas to move`);
    return out;
  }
  const at = new Map(det.areas.map((a) => [a.code, a.team]));
  const teams = new Set(det.team_list.map((t) => t.name));
  const codes = [...new Set(moves.map((m) => m.code))];
  const known = new Map(names); // code → name
  const ask = codes.filter((c, i) => !known.has(c) && (!at.has(c) || i < LOOKUPS));
  await Promise.all(
    ask.map(async (c) => {
      try {
        const r = await api.search(c, signal);
        const hit = r.results.find((x) => x.type === 'area' && x.code === c);
        if (hit) known.set(c, hit.name);
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
      }
    }),
  );
  for (const m of moves) {
    const cur = at.get(m.code) ?? '';
    let why = '';
    if (m.from === m.to) why = `moves nowhere (${team(m.to)})`;
    else if (m.from && !teams.has(m.from)) why = `no team ${team(m.from)} in this set`;
    else if (m.to && !teams.has(m.to)) why = `no team ${team(m.to)} in this set`;
    else if (!at.has(m.code) && !known.has(m.code)) why = 'not an area of this workspace';
    else if (cur !== m.from) why = `it is in ${team(cur)}, not ${team(m.from)}`;
    if (why) {
      out.dropped.push(`${m.code}: ${why}`);
      continue;
    }
    at.set(m.code, m.to);
    out.kept.push({ ...m, name: known.get(m.code) ?? '' });
  }
  return out;
}

/** The note on a link's moves left out: the entries that are not CODE:FROM:TO (bad, as written) and
 * the area and practice moves that do not fit (dropped); "" when none was. */
export function leftOut(bad: string[], dropped: string[]): string {
  const all = [...bad.map((b) => `“${b.length > 40 ? b.slice(0, 40) + '…' : b}” is not CODE:FROM:TO`), ...dropped];
  return all.length ? `${all.length} move${all.length === 1 ? '' : 's'} of the link left out: ${all.slice(0, 5).join('; ')}${all.length > 5 ? `; and ${all.length - 5} more` : ''}.` : '';
}
