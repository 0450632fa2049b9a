// Deleting a footprint set from the panel (when the server takes writes): a button that opens an inline
// confirmation, with the token field when the session has none, then DELETE /api/teams/{set}.

import { APIError } from './api';
import { h, replace } from './dom';
import { teamsAPI } from './teamsapi';
import { formToken, token, tokenField } from './token';

/** The "Delete this set…" control of a set; deleted runs once the server has deleted it. */
export function deleteControl(set: string, deleted: () => void): HTMLElement {
  const box = h('div', { class: 'set-delete' });
  const closed = () =>
    replace(
      box,
      h('button', { type: 'button', id: 'set-delete', class: 'link danger', onclick: () => open() }, 'Delete this set…'),
    );
  const open = () => {
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
        h('button', { type: 'button', class: 'button small secondary', onclick: () => (closed(), box.querySelector<HTMLElement>('#set-delete')?.focus()) }, 'Cancel'),
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
  };
  closed();
  return box;
}
