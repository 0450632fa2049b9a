// Renaming a footprint set from the panel (when the server takes writes): "Rename this set…" opens an
// inline form (the new name, and the token field when the session has none), then PATCH
// /api/teams/{set}. The form stays open, with the server's error, across the panel's redraws.

import { APIError } from './api';
import { h } from './dom';
import { teamsAPI } from './teamsapi';
import { formToken, token, tokenField } from './token';

export interface RenameDeps {
  /** Draw the panel again. */
  redraw(): void;
  /** The server renamed the set. */
  renamed(from: string, to: string): void;
}

export class SetRename {
  private open = false;
  private busy = false;
  private error = '';

  constructor(private d: RenameDeps) {}

  /** Closes the form (another set was chosen). */
  reset(): void {
    this.open = this.busy = false;
    this.error = '';
  }

  render(set: string): HTMLElement {
    if (!this.open) {
      return h('div', { class: 'set-rename' }, h('button', { type: 'button', id: 'set-rename', class: 'link', onclick: () => this.toggle(true) }, 'Rename this set…'));
    }
    const form: HTMLFormElement = h(
      'form',
      { class: 'rename-form', 'aria-label': `Rename ${set}` },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'rename-name' }, 'New name'),
        h('input', { id: 'rename-name', name: 'name', type: 'text', required: true, maxlength: 100, value: set, autocomplete: 'off' }),
      ),
      tokenField('rename-token'),
      this.error ? h('p', { id: 'rename-error', class: 'error small', role: 'alert' }, this.error) : null,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', id: 'set-rename-confirm', class: 'button small', disabled: this.busy }, 'Rename'),
        h('button', { type: 'button', id: 'set-rename-cancel', class: 'button small secondary', onclick: () => this.toggle(false) }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit(set, form);
    });
    return form;
  }

  private toggle(open: boolean): void {
    this.open = open;
    this.error = '';
    this.d.redraw();
    document.getElementById(open ? 'rename-name' : 'set-rename')?.focus();
  }

  private async submit(set: string, form: HTMLFormElement): Promise<void> {
    const name = (form.elements.namedItem('name') as HTMLInputElement).value.trim();
    if (!name || name === set) {
      this.error = name ? 'That is its name already.' : 'Give the set a name.';
      this.d.redraw();
      return;
    }
    this.busy = true;
    this.error = '';
    this.d.redraw();
    try {
      await teamsAPI.rename(set, name, formToken(form));
    } catch (e) {
      this.busy = false;
      if (e instanceof APIError && e.status === 401) token.clear();
      this.error = e instanceof APIError && e.status === 401 ? `The access token was not accepted: ${e.message}` : `Not renamed: ${(e as Error).message}`;
      this.d.redraw();
      return;
    }
    this.reset();
    this.d.renamed(set, name);
  }
}
