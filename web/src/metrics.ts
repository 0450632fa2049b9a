// What the map can be coloured by, and the classes of each.

import type { Summary } from './api';
import { fmt1, fmtCompact, fmtInt, fmtShare } from './format';
import { countClasses, fixedClasses, type Scale } from './palette';
import { formatPercent, type Metric, type PCNShade } from './state';

export interface MetricDef {
  id: Metric;
  /** The option's label. */
  label: string;
  /** The legend's title at threshold t (percent). */
  title(t: number): string;
  /** What one area's value means, for the hover label. */
  describe(v: number | null | undefined, t: number): string;
  scale(summary: Summary | undefined): Scale;
  note?: string;
}

const share = (v: number) => fmtShare(v);

export const METRIC_DEFS: Record<Metric, MetricDef> = {
  pcns: {
    id: 'pcns',
    label: 'PCNs serving the area',
    title: (t) => (t > 0 ? `PCNs with ≥ ${formatPercent(t)} of residents` : 'PCNs with any of the residents'),
    describe: (v, t) =>
      v === null || v === undefined ? 'no data' : `${fmtInt(v)} PCN${v === 1 ? '' : 's'} ${t > 0 ? `at ≥ ${formatPercent(t)}` : 'with any patients here'}`,
    scale: (s) => countClasses(s?.areas.pcns.histogram || [0, 1, 1, 1, 1, 1, 1, 1], 'viridis'),
    note: 'Darker: residents’ patients are split across more PCNs.',
  },
  dominant_share: {
    id: 'dominant_share',
    label: 'Share of the largest PCN',
    title: () => 'Residents registered with the largest PCN',
    describe: (v) => (v === null || v === undefined ? 'no PCN patients' : `largest PCN has ${share(v)} of residents`),
    scale: () => fixedClasses('dominant_share', [0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], 'cividis', (v) => `${Math.round(v * 100)}%`, [0, 1], 'no PCN patients'),
    note: 'Darker: no single PCN holds most residents.',
  },
  effective_pcns: {
    id: 'effective_pcns',
    label: 'Effective number of PCNs',
    title: () => 'Effective number of PCNs (1 / HHI)',
    describe: (v) => (!v ? 'no PCN patients' : `effective number of PCNs ${fmt1(v)}`),
    scale: () => fixedClasses('effective_pcns', [1, 1.5, 2, 2.5, 3, 4, 5, 7], 'viridis', (v) => fmt1(v), [1, 0.05], 'no PCN patients'),
    note: 'How many equal-sized PCNs would give the same concentration.',
  },
  registered: {
    id: 'registered',
    label: 'Registered population',
    title: () => 'Registered patients living in the area',
    describe: (v) => (v === null || v === undefined ? 'no data' : `${fmtInt(v)} registered patients`),
    scale: () => fixedClasses('registered', [0, 4000, 6000, 8000, 10000, 12000, 15000, 20000], 'ylgnbu', fmtCompact, [0.05, 1]),
  },
};

export interface PCNShadeDef {
  id: PCNShade;
  label: string;
  title: string;
  scale(): Scale;
  describe(v: number | null | undefined): string;
}

export const PCN_SHADES: Record<PCNShade, PCNShadeDef> = {
  list_share: {
    id: 'list_share',
    label: 'Share of the PCN’s patients',
    title: 'Share of the PCN’s patients living in the area',
    scale: () => fixedClasses('list_share', [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2], 'rdpu', (v) => fmtShare(v), [0.12, 1]),
    describe: (v) => (v === null || v === undefined ? '' : `${fmtShare(v)} of the PCN’s patients live here`),
  },
  share: {
    id: 'share',
    label: 'PCN’s share of residents',
    title: 'Residents of the area registered with the PCN',
    scale: () => fixedClasses('share', [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75], 'rdpu', (v) => fmtShare(v), [0.12, 1]),
    describe: (v) => (v === null || v === undefined ? '' : `the PCN has ${fmtShare(v)} of residents`),
  },
};
