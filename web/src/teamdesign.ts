// The neighbourhood design form (shown when the server takes writes): region, band, nesting, count and
// time limit, posted to POST /api/neighbourhoods/design; the job is polled until it ends, and the
// plan's score is shown beside its construction, teams suggest's at the same count and the upper
// bound. The plan is saved under the name given, so that the map can draw it like any set.

import { APIError } from './api';
import { h, replace } from './dom';
import { fmtInt } from './format';
import { teamsAPI, type DesignJob } from './teamsapi';
import { formToken, token, tokenField } from './token';

export interface DesignActions {
  /** A plan was saved: list it. */
  saved(name: string): void;
  /** Draw it. */
  show(name: string): void;
}

let dialog: HTMLDialogElement | undefined;

const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
  h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'muted small' }, hint) : null);

export function openDesign(a: DesignActions): void {
  dialog?.remove();
  const status = h('div', { id: 'design-status', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { id: 'design-error', class: 'error', role: 'alert' });
  const tokenSlot = h('div', null, tokenField('design-token'));
  const form: HTMLFormElement = h(
    'form',
    { class: 'import-form', method: 'dialog', novalidate: true },
    field('design-within', 'Region', h('input', { id: 'design-within', name: 'within', type: 'text', required: true, autocomplete: 'off', placeholder: 'icb:E54000057 or la:E08000009' }), 'KIND:CODE: icb, sub-icb, la, ccg, stp, region.'),
    field('design-size', 'Residents per neighbourhood', h('input', { id: 'design-size', name: 'size', type: 'text', value: '30k-50k', autocomplete: 'off' })),
    field(
      'design-nest',
      'Never crossing',
      h('select', { id: 'design-nest', name: 'nest' }, h('option', { value: 'la', selected: true }, 'Local authorities'), h('option', { value: 'sub-icb' }, 'Sub-ICBs'), h('option', { value: 'none' }, 'Nothing (no nesting)')),
    ),
    field('design-count', 'Number of neighbourhoods (optional)', h('input', { id: 'design-count', name: 'count', type: 'number', min: 0, step: 1, placeholder: 'from the band' })),
    field('design-limit', 'Time limit (seconds)', h('input', { id: 'design-limit', name: 'limit', type: 'number', min: 1, max: 60, value: 30 })),
    field('design-name', 'Save the plan as', h('input', { id: 'design-name', name: 'name', type: 'text', required: true, maxlength: 100, autocomplete: 'off', placeholder: 'e.g. Neighbourhoods 30-50k' })),
    tokenSlot,
    error,
    status,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'button', id: 'design-submit' }, 'Design'),
      h('button', { type: 'button', class: 'button secondary', onclick: () => dialog?.close() }, 'Close'),
    ),
  );
  dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'design-title' }, h('h2', { id: 'design-title' }, 'Design neighbourhoods'), form) as HTMLDialogElement;
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && e.stopPropagation();
  window.addEventListener('keydown', onKey, true);
  let closed = false;
  dialog.addEventListener('close', () => {
    closed = true;
    window.removeEventListener('keydown', onKey, true);
    dialog?.remove();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });

  async function submit(): Promise<void> {
    const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
    error.textContent = '';
    replace(status);
    const name = v('name');
    if (!v('within') || !name) {
      error.textContent = !name ? 'Give the plan a name.' : 'Give the region, e.g. icb:E54000057.';
      return;
    }
    const body = { within: v('within'), size: v('size'), nest: v('nest'), count: Number(v('count') || 0), time_limit_s: Number(v('limit') || 30), save_as: name };
    const submitButton = form.querySelector<HTMLButtonElement>('#design-submit')!;
    submitButton.disabled = true;
    replace(status, h('p', { class: 'muted' }, 'Designing…'));
    let job: DesignJob;
    try {
      const tok = formToken(form);
      job = await teamsAPI.design(body, tok);
      while (job.status === 'running' && !closed) {
        await new Promise((r) => setTimeout(r, 500));
        job = await teamsAPI.designJob(job.id, tok);
      }
    } catch (e) {
      replace(status);
      if (e instanceof APIError && e.status === 401) {
        token.clear();
        replace(tokenSlot, tokenField('design-token'));
      }
      error.textContent = (e as Error).message;
      submitButton.disabled = false;
      return;
    }
    submitButton.disabled = false;
    if (job.status === 'failed' || !job.plan) {
      replace(status);
      error.textContent = job.error || 'The design failed.';
      return;
    }
    replace(tokenSlot);
    const p = job.plan;
    a.saved(name);
    const off = p.neighbourhoods.filter((n) => n.violation);
    replace(
      status,
      h('p', null, h('strong', { id: 'design-score' }, `“${name}”: ${fmtInt(p.neighbourhoods.length)} neighbourhoods, score ${p.score.toFixed(3)}`)),
      h(
        'ul',
        { class: 'plain import-report' },
        h('li', null, `Construction before the search: ${p.construction.toFixed(3)}`),
        h('li', null, p.greedy === null ? `Teams suggest at the same count: none (${p.greedy_note || ''})` : `Teams suggest at the same count: ${p.greedy.toFixed(3)} (no band, no nesting; teams up to ${fmtInt(p.greedy_largest || 0)} residents)`),
        h('li', null, `Upper bound for these constraints: ${p.bound.toFixed(3)}`),
        h('li', { 'data-off-band': off.length }, `Neighbourhoods outside the band: ${fmtInt(off.length)}`, off.length ? `: ${off.slice(0, 5).map((n) => `${n.name} (${n.violation})`).join('; ')}` : ''),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          onclick: () => {
            dialog?.close();
            a.show(name);
          },
        },
        'Show it on the map',
      ),
    );
  }

  document.body.appendChild(dialog);
  dialog.showModal();
}
