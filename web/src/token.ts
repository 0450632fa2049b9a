// The bearer token for the API's writes: asked for once, kept for the tab's session only.

import { h } from './dom';

const KEY = 'pcnmap-token';

export const token = {
  get(): string {
    try {
      return sessionStorage.getItem(KEY) || '';
    } catch {
      return '';
    }
  },
  set(v: string): void {
    try {
      sessionStorage.setItem(KEY, v);
    } catch {
      // storage disabled: the token is asked for again next time
    }
  },
  clear(): void {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // nothing kept
    }
  },
};

/** A password field for the token, or null when the session already has one. */
export function tokenField(id: string): HTMLElement | null {
  if (token.get()) return null;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, 'Access token'),
    h('input', { id, name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': `${id}-hint` }),
    h('p', { id: `${id}-hint`, class: 'muted small' }, 'The token the server was started with (--token). Kept for this tab only.'),
  );
}

/** The token typed into a form's field, stored for the session, or the one already kept. */
export function formToken(form: HTMLFormElement): string {
  const input = form.elements.namedItem('token') as HTMLInputElement | null;
  const v = input?.value.trim() || '';
  if (v) token.set(v);
  return v || token.get();
}
