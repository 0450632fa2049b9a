// Number formatting for a British audience.

const int = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const two = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const fmtInt = (v: number): string => int.format(v);
export const fmt1 = (v: number): string => one.format(v);
export const fmt2 = (v: number): string => two.format(v);

/** A share (0..1) as a percentage with sensible precision: 0.4%, 12%, 100%. */
export function fmtShare(v: number): string {
  const p = v * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  if (p < 10) return `${one.format(p)}%`;
  return `${int.format(p)}%`;
}

/** A compact count: 8,214 → "8.2k" above 10k. */
export function fmtCompact(v: number): string {
  if (v >= 10000) return `${one.format(v / 1000)}k`;
  return int.format(v);
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2021-01-04" → "4 Jan 2021". */
export function fmtDate(iso?: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
  if (!m) return iso || '';
  return `${+m[3]} ${months[+m[2] - 1]} ${m[1]}`;
}

const KEEP_UPPER = new Set(['PCN', 'NHS', 'GP', 'GPS', 'CCG', 'ICB', 'LA', 'UK', 'HC', 'MC', 'PCT', 'CIC', 'LLP', 'LTD', 'II', 'III', 'IV', 'NW', 'NE', 'SW', 'SE', 'N', 'S', 'E', 'W']);
const KEEP_LOWER = new Set(['and', 'of', 'the', 'on', 'upon', 'in', 'at', 'by', 'with', 'for', 'under', 'le', 'de']);

/**
 * Names in the NHS files are often in capitals ("GORTON AND LEVENSHULME PCN"); shown in title case
 * they read faster. Names already in mixed case are left alone, and acronyms stay in capitals.
 */
export function displayName(name: string): string {
  if (!name || /[a-z]/.test(name)) return name;
  let first = true;
  return name.replace(/[A-Z0-9'’]+/g, (w) => {
    const lower = w.toLowerCase();
    let out: string;
    if (KEEP_UPPER.has(w)) out = w;
    else if (!first && KEEP_LOWER.has(lower)) out = lower;
    else if (/^MC[A-Z]/.test(w)) out = 'Mc' + w[2] + w.slice(3).toLowerCase();
    else out = w[0] + lower.slice(1);
    first = false;
    return out;
  });
}
