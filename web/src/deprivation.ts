// The deprivation profiles of a neighbourhood as the team profile panel shows them (teamprofile.ts):
// the overall IMD's, then its income and employment domains', each with its Core20 share and its
// residents by decile, for those the release has. No DOM here, so the unit tests can load it; only
// teamprofile.ts imports it, so it is loaded on first use with the panel.

/** Residents by decile of their LSOA: deciles[0] the most deprived 10% of LSOAs; Core20 deciles 1–2. */
export interface Deprivation {
  deciles: number[];
  core20: number;
  unknown: number;
}

export interface DeprivationProfile {
  /** "imd", "income" or "employment": the CSS class and test id prefix (profile-core20, deciles for the IMD). */
  key: 'imd' | 'income' | 'employment';
  /** The figure's label: "Core20", "Income Core20", "Employment Core20". */
  label: string;
  /** The figure's explanation. */
  help: string;
  /** The decile bars' caption. */
  caption: string;
  profile: Deprivation;
}

const DOMAINS = [
  { key: 'imd', field: 'deprivation', label: 'Core20', what: 'IMD' },
  { key: 'income', field: 'income', label: 'Income Core20', what: 'IMD income domain' },
  { key: 'employment', field: 'employment', label: 'Employment Core20', what: 'IMD employment domain' },
] as const;

/** The profiles n has, in the order IMD, income, employment; a release without a domain gives none of it. */
export function deprivationProfiles(n: { deprivation?: Deprivation; income?: Deprivation; employment?: Deprivation }): DeprivationProfile[] {
  const out: DeprivationProfile[] = [];
  for (const d of DOMAINS) {
    const p = n[d.field];
    if (!p) continue;
    out.push({
      key: d.key,
      label: d.label,
      help: `Share of its residents in the most deprived 20% of LSOAs in England (${d.what} deciles 1 and 2).`,
      caption: `Residents by ${d.what} decile (1 = most deprived 10% of LSOAs in England)`,
      profile: p,
    });
  }
  return out;
}

/** The class of a profile's Core20 figure: profile-core20 for the IMD (as before), profile-income-core20 …. */
export const core20Class = (key: DeprivationProfile['key']): string => (key === 'imd' ? 'profile-core20' : `profile-${key}-core20`);

/** The test id of a profile's decile bars: deciles for the IMD (as before), income-deciles …. */
export const decilesTestId = (key: DeprivationProfile['key']): string => (key === 'imd' ? 'deciles' : `${key}-deciles`);
