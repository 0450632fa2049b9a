// The footprint-set routes of the API (/api/teams…), as the page uses them. Reads are open; writes
// (import, rename, delete, saving a what-if) carry the bearer token the server was started with.

import { base, failure, get, type PCNRef } from './api';

export interface SetSummary {
  name: string;
  source: string;
  method: string;
  imported_at: string;
  teams: number;
}

export interface TeamSets {
  writable: boolean;
  sets: SetSummary[];
}

export interface SetDetail extends SetSummary {
  team_list: { name: string; lsoas: number; practices: number }[];
  /** The areas the set touches, each with the team holding most of its patients. */
  areas: { code: string; team: string; share: number }[];
}

export interface TeamPCN extends PCNRef {
  patients: number;
  share: number;
}

export interface TeamMetrics {
  name: string;
  registered: number;
  in_pcn: number;
  /** The PCNs holding at least the threshold share of the team, largest first. */
  pcns: TeamPCN[];
  dominant_pcn: PCNRef | null;
  dominant_share: number;
  hhi: number;
  effective_pcns: number;
}

export interface Alignment {
  set: string;
  threshold: number;
  score: number;
  /** Within the set's footprint: of the patients of the PCNs holding ≥ threshold of some team, the share living in a team. */
  coverage: number;
  /** The number of PCNs coverage is measured over. */
  coverage_pcns: number;
  teams: TeamMetrics[];
  /** Absent from the what-if answers the page asks for (detail=teams). */
  pcns?: { code: string; name: string; resident: number; in_team: number[]; outside: number; teams: number; dominant_team: string | null }[];
}

/** One what-if move: an LSOA or MSOA from a team to another ("" is no team). */
export interface Move {
  code: string;
  from: string;
  to: string;
}

/** One practice move of a membership what-if: a practice from one PCN to another, never stored. */
export interface PracticeMove {
  practice: string;
  from: string;
  to: string;
}

/** A PCN's list size in the release and after a what-if's practice moves. */
export interface PCNLists extends PCNRef {
  list_before: number;
  list_after: number;
}

export interface PracticeChange {
  practice: string;
  name: string;
  list_size: number;
  from: PCNLists;
  to: PCNLists;
  /** The PCN left falls under 30,000 patients. */
  small: boolean;
}

export interface WhatIf {
  before: Alignment;
  after: Alignment;
  practice_changes?: PracticeChange[];
}

export interface ImportResult {
  set: SetSummary;
  uncovered: string[];
  /** LSOAs (or practices) split between teams, with each team's share of the LSOA (absent for practices). */
  contested: { code: string; teams: string[]; shares?: number[] }[];
  missing: number;
}

export interface DesignNeighbourhood {
  name: string;
  registered: number;
  blocks: number;
  violation?: string;
}

export interface DesignJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  error?: string;
  plan?: {
    description: string;
    score: number;
    construction: number;
    bound: number;
    greedy: number | null;
    greedy_note?: string;
    greedy_largest?: number;
    greedy_per_msoa?: number; // the greedy's score before its teams were made contiguous over the LSOAs
    neighbourhoods: DesignNeighbourhood[];
  };
}

const q = encodeURIComponent;

async function send<T>(method: string, path: string, body: BodyInit | undefined, token: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (typeof body === 'string') headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base() + path, { method, body, headers, signal });
  if (!res.ok) throw await failure(res);
  return (res.status === 204 ? undefined : res.json()) as Promise<T>;
}

export const teamsAPI = {
  sets: (signal?: AbortSignal) => get<TeamSets>('api/teams', signal),
  set: (name: string, signal?: AbortSignal) => get<SetDetail>(`api/teams/${q(name)}`, signal),
  alignment: (name: string, t: string, signal?: AbortSignal) => get<Alignment>(`api/teams/${q(name)}/alignment?threshold=${q(t)}`, signal),
  /**
   * Applies the moves to the stored set; with saveAs (and the token) stores the result as a new set.
   * The answer holds the scores and the teams' figures only (detail=teams): the page shows nothing
   * else, and the teams × PCNs matrix of a large set would make each click megabytes.
   */
  whatIf: (name: string, t: string, moves: Move[], saveAs = '', token = '', signal?: AbortSignal, practices: PracticeMove[] = []) =>
    send<WhatIf>(
      'POST',
      `api/teams/${q(name)}/whatif?threshold=${q(t)}&detail=teams`,
      JSON.stringify({
        moves: moves.map(({ code, from, to }) => ({ code, from, to })),
        practice_moves: practices.map(({ practice, from, to }) => ({ practice, from, to })),
        ...(saveAs ? { save_as: saveAs } : {}),
      }),
      saveAs ? token : '',
      signal,
    ),
  /** Renames a set; the answer is the set under its new name. */
  rename: (name: string, to: string, token: string) => send<SetSummary>('PATCH', `api/teams/${q(name)}`, JSON.stringify({ name: to }), token),
  remove: (name: string, token: string) => send<void>('DELETE', `api/teams/${q(name)}`, undefined, token),
  /** Imports a set from a form with name, method, name_field and file. */
  importSet: (form: FormData, token: string) => send<ImportResult>('POST', 'api/teams', form, token),
  /** Starts a neighbourhood design job (the body is the command's flags). */
  design: (body: object, token: string) => send<DesignJob>('POST', 'api/neighbourhoods/design', JSON.stringify(body), token),
  designJob: (id: string, token: string) => send<DesignJob>('GET', `api/neighbourhoods/jobs/${q(id)}`, undefined, token),
};
