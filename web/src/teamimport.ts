// The import form of a footprint set (shown when the server takes writes): name, method and file,
// posted to POST /api/teams as multipart; it reports the LSOAs no team covers and those two teams
// claim, or the server's error message.

import { APIError } from './api';
import { h, replace } from './dom';
import { fmtInt, fmtShare } from './format';
import { teamsAPI, type ImportResult } from './teamsapi';
import { formToken, token, tokenField } from './token';

export interface ImportActions {
  /** A set was imported: list it. */
  imported(name: string): void;
  /** Draw it. */
  show(name: string): void;
}

let dialog: HTMLDialogElement | undefined;

export function openImport(a: ImportActions): void {
  dialog?.remove();
  const status = h('div', { id: 'import-status', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { id: 'import-error', class: 'error', role: 'alert' });
  const tokenSlot = h('div', null, tokenField('import-token'));
  const form: HTMLFormElement = h(
    'form',
    { class: 'import-form', method: 'dialog', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'import-name' }, 'Name of the set'),
      h('input', { id: 'import-name', name: 'name', type: 'text', required: true, maxlength: 200, autocomplete: 'off', placeholder: 'e.g. District nursing teams 2024' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'import-file' }, 'File'),
      h('input', { id: 'import-file', name: 'file', type: 'file', required: true, accept: '.geojson,.json,.csv,.zip,.gpkg', 'aria-describedby': 'import-file-hint' }),
      h(
        'p',
        { id: 'import-file-hint', class: 'muted small' },
        'Polygons, one per team (GeoJSON, zipped Shapefile or GeoPackage; WGS84 or British National Grid), or a CSV of team and LSOA, MSOA or practice codes.',
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'import-method' }, 'Polygons take LSOAs by'),
      h(
        'select',
        { id: 'import-method', name: 'method' },
        h('option', { value: 'centroid', selected: true }, 'Population-weighted centroid'),
        h('option', { value: 'area' }, 'Share of area (LSOAs split between teams)'),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'import-name-field' }, 'Team name property (optional)'),
      h('input', { id: 'import-name-field', name: 'name_field', type: 'text', autocomplete: 'off', placeholder: 'detected' }),
    ),
    tokenSlot,
    error,
    status,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'button', id: 'import-submit' }, 'Import'),
      h('button', { type: 'button', class: 'button secondary', onclick: () => dialog?.close() }, 'Close'),
    ),
  );
  dialog = modal('import', 'Import a footprint set', form, submit);

  async function submit(): Promise<void> {
    const el = form.elements;
    const name = (el.namedItem('name') as HTMLInputElement).value.trim();
    const file = (el.namedItem('file') as HTMLInputElement).files?.[0];
    error.textContent = '';
    replace(status);
    if (!name || !file) {
      error.textContent = !name ? 'Give the set a name.' : 'Choose a file.';
      return;
    }
    const fd = new FormData();
    fd.append('name', name);
    fd.append('method', (el.namedItem('method') as HTMLSelectElement).value);
    const nf = (el.namedItem('name_field') as HTMLInputElement).value.trim();
    if (nf) fd.append('name_field', nf);
    fd.append('file', file, file.name);
    const submitButton = form.querySelector<HTMLButtonElement>('#import-submit')!;
    submitButton.disabled = true;
    replace(status, h('p', { class: 'muted' }, 'Importing…'));
    let r: ImportResult;
    try {
      r = await teamsAPI.importSet(fd, formToken(form));
    } catch (e) {
      replace(status);
      if (e instanceof APIError && e.status === 401) {
        token.clear();
        replace(tokenSlot, tokenField('import-token'));
      }
      error.textContent = e instanceof APIError && e.status === 401 ? `The access token was not accepted: ${e.message}` : (e as Error).message;
      submitButton.disabled = false;
      return;
    }
    submitButton.disabled = false;
    replace(tokenSlot);
    a.imported(r.set.name);
    replace(
      status,
      h('p', null, h('strong', null, `Imported “${r.set.name}”: ${fmtInt(r.set.teams)} teams.`)),
      h(
        'ul',
        { class: 'plain import-report' },
        h('li', { 'data-uncovered': r.uncovered.length }, `LSOAs no team covers: ${fmtInt(r.uncovered.length)}`, list(r.uncovered)),
        h('li', { 'data-contested': r.contested.length }, `LSOAs split between teams: ${fmtInt(r.contested.length)}`, list(r.contested.map((c) => `${c.code} (${c.teams.map((t, i) => (c.shares ? `${t} ${fmtShare(c.shares[i])}` : t)).join(' / ')})`))),
        r.missing ? h('li', null, `LSOAs not placed (no centroid or polygon): ${fmtInt(r.missing)}`) : null,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          onclick: () => {
            dialog?.close();
            a.show(r.set.name);
          },
        },
        'Show it on the map',
      ),
    );
  }

}

/**
 * A modal dialog around form, shown at once: Escape closes the dialog only, not the page's selection
 * behind it (wherever the focus is); closing removes it; submitting calls submit. onClose runs on close.
 */
export function modal(id: string, title: string, form: HTMLFormElement, submit: () => Promise<void>, onClose?: () => void): HTMLDialogElement {
  const d = h('dialog', { class: 'dialog', 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), form) as HTMLDialogElement;
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && e.stopPropagation();
  window.addEventListener('keydown', onKey, true);
  d.addEventListener('close', () => {
    window.removeEventListener('keydown', onKey, true);
    onClose?.();
    d.remove();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });
  document.body.appendChild(d);
  d.showModal();
  return d;
}

function list(codes: string[]): string {
  if (!codes.length) return '';
  return `: ${codes.slice(0, 8).join(', ')}${codes.length > 8 ? `, … (${codes.length - 8} more)` : ''}`;
}
