// Deleting a footprint set from the panel (when the server takes writes): the panel's "Delete this
// set…" button (teams.ts) loads this module on first use, which opens an inline confirmation, with the
// token field when the session has none, then DELETE /api/teams/{set}.

import { APIError } from './api';
import { h, replace } from './dom';
import { teamsAPI } from './teamsapi';
import { formToken, token, tokenField } from './token';

/** Opens the confirmation in box in place of its button; deleted runs once the server has deleted the set. */
export function openDelete(box: HTMLElement, set: string, deleted: () => void): void {
  const button = box.firstElementChild as HTMLElement;
  const error = h('p', { class: 'error small', role: 'alert' });
  const form: HTMLFormElement = h(
    'form',
    { class: 'delete-form', 'aria-label': `Delete ${set}` },
    h('p', { class: 'small' }, `Delete “${set}” from the workspace? This cannot be undone.`),
    tokenField('delete-token'),
    error,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', id: 'set-delete-confirm', class: 'button small danger' }, 'Delete'),
      h('button', { type: 'button', class: 'button small secondary', onclick: () => (replace(box, button), button.focus()) }, 'Cancel'),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await teamsAPI.remove(set, formToken(form));
    } catch (err) {
      if (err instanceof APIError && err.status === 401) token.clear();
      error.textContent = err instanceof APIError && err.status === 401 ? `The access token was not accepted: ${err.message}` : `Not deleted: ${(err as Error).message}`;
      return;
    }
    deleted();
  });
  replace(box, form);
  form.querySelector<HTMLElement>('input, #set-delete-confirm')?.focus();
}
