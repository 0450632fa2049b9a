// The what-if moves in the URL, so a shared link or a reload brings them back:
//   #…&teams=Trafford%20localities&moves=E02001259:North:Central,E02001260::South
// Each move is CODE:FROM:TO, as `pcnmap teams whatif --move` takes it, in the order they were made,
// separated by ','. The three parts are percent-encoded (encodeURIComponent), so a team name's own
// ',', ':', '>', '&', '%', spaces and other characters are escaped; an empty team is "no team". Only
// ',', ':' and what encodeURIComponent writes appear, none of which a browser re-encodes in a fragment
// (it would a '>'). The value is read from the fragment as written, before any other decoding.

import type { Move } from './teamsapi';

const CODE = /^[A-Za-z0-9]{1,20}$/;
/** The most moves a link carries; the server takes 10,000, a URL far fewer. */
export const MAX_URL_MOVES = 1000;

export function encodeMoves(ms: Move[]): string {
  return ms.map((m) => [m.code, m.from, m.to].map(encodeURIComponent).join(':')).join(',');
}

/** The moves of a URL's value; bad holds the entries that are not CODE:FROM:TO, as written. */
export function decodeMoves(raw: string): { moves: Move[]; bad: string[] } {
  const moves: Move[] = [];
  const bad: string[] = [];
  if (!raw) return { moves, bad };
  for (const part of raw.split(',')) {
    const p = part.split(':');
    let m: Move | undefined;
    try {
      if (p.length === 3) m = { code: decodeURIComponent(p[0]), from: decodeURIComponent(p[1]), to: decodeURIComponent(p[2]) };
    } catch {
      // a broken %-escape
    }
    if (m && CODE.test(m.code) && moves.length < MAX_URL_MOVES) moves.push(m);
    else bad.push(part);
  }
  return { moves, bad };
}

/** The raw value of a fragment's moves parameter ("" when absent). */
export function rawMoves(hash: string): string {
  const m = /(?:^#?|&)moves=([^&]*)/.exec(hash);
  return m ? m[1] : '';
}
