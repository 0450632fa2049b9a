// The page's one state store. Every change goes through setState(patch): the store merges the patch
// and tells its subscribers what changed, and they (in main.ts) keep the URL, the map's colours, the
// legend and the panels in step with it, so no action has to remember to call each of them.
// Pure: no DOM, no map; unit-tested with node --test (unit/store.test.mjs).

export interface SetOptions {
  /** A new history entry (a selection, a chosen set) rather than replacing the current one. */
  push?: boolean;
}

export type Listener<S> = (state: Readonly<S>, prev: Readonly<S>, opts: SetOptions) => void;

export class Store<S extends object> {
  private s: S;
  private listeners: Listener<S>[] = [];

  constructor(initial: S) {
    this.s = { ...initial };
  }

  /** The current state. Read-only: change it with setState. */
  get state(): Readonly<S> {
    return this.s;
  }

  /**
   * Merges patch into the state (a key set to undefined is cleared) and, when anything changed,
   * calls every subscriber with the new and the previous state, in the order they subscribed.
   */
  setState(patch: Partial<S>, opts: SetOptions = {}): void {
    const prev = this.s;
    const next = { ...prev, ...patch };
    if (!changedKeys(prev, next).length) return;
    this.s = next;
    for (const l of this.listeners) l(next, prev, opts);
  }

  /** Calls l after every change; returns the function that stops it. */
  subscribe(l: Listener<S>): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }
}

/** The keys whose values differ (by ===) between a and b. */
export function changedKeys<S extends object>(a: S, b: S): (keyof S)[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof S)[]);
  return [...keys].filter((k) => a[k] !== b[k]);
}

/** Whether any of keys differs between a and b. */
export function changed<S extends object>(a: S, b: S, ...keys: (keyof S)[]): boolean {
  return keys.some((k) => a[k] !== b[k]);
}
