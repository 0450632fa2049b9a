// The area panel's note on an area whose residents are only partly counted (the API's `complete`,
// false when the area's registered patients are under half the median area's and the release has
// no denominators): pure functions of the answers, for node --test.

import type { Area } from './api';
import { displayName, fmtInt } from './format';

/**
 * The release's study region (the summary's coverage.region: `la:E06000021`, `icb:QNC (E54000010)`,
 * parts joined by commas) named for a reader: each part by the area's own unit of that kind when it
 * is that unit (Stoke-on-Trent), else by the code as given.
 */
export function regionName(region: string, units: Area['units']): string {
  const names = region
    .split(',')
    .map((part) => {
      const m = /^\s*([a-z-]+)\s*:\s*([^\s(]+)\s*(?:\(\s*([^)\s]+)\s*\))?\s*$/i.exec(part);
      if (!m) return part.trim();
      const [, kind, given, code = given] = m;
      const u = units[kind.toLowerCase()];
      return u && u.name && u.code.toUpperCase() === code.toUpperCase() ? displayName(u.name) : given;
    })
    .filter((n) => n !== '');
  if (names.length < 2) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The note on an area whose residents are only partly counted, or '' when it is complete. */
export function completeNote(area: Pick<Area, 'complete' | 'registered' | 'units'>, region?: string): string {
  if (area.complete !== false) return '';
  const name = region ? regionName(region, area.units) : '';
  const why = name
    ? `this release is cut to ${name} and holds some practices’ patients only, and most of this area’s residents are registered with practices it does not hold.`
    : 'most of this area’s residents are registered with practices this release does not hold.';
  return `Residents only partly counted: ${why} Its ${fmtInt(area.registered)} registered patients are under half the median area’s, so its figures describe part of its population.`;
}
