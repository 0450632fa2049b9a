// The neighbourhood design form (shown when the server takes writes): region, band, nesting, count and
// time limit, posted to POST /api/neighbourhoods/design; the job is polled until it ends, and the
// plan's score is shown beside its construction, teams suggest's at the same count and the upper
// bound. The plan is saved under the name given, so that the map can draw it like any set.

import { APIError } from './api';
import { h, replace } from './dom';
import { fmtInt } from './format';
import { teamsAPI, type DesignJob } from './teamsapi';
import { modal } from './teamimport';
import { formToken, token, tokenField } from './token';

export interface DesignActions {
  /** A plan was saved: list it. */
  saved(name: string): void;
  /** Draw it. */
  show(name: string): void;
}

let dialog: HTMLDialogElement | undefined;

const field = (id: string, label: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), input);

export function openDesign(a: DesignActions): void {
  dialog?.remove();
  const status = h('div', { id: 'design-status', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { id: 'design-error', class: 'error', role: 'alert' });
  const tokenSlot = h('div', null, tokenField('design-token'));
  const form: HTMLFormElement = h(
    'form',
    { class: 'import-form', method: 'dialog', novalidate: true },
    field('design-within', 'Region', h('input', { id: 'design-within', name: 'within', type: 'text', required: true, autocomplete: 'off', placeholder: 'icb:E54000057, la:E08000009…' })),
    field('design-size', 'Residents per neighbourhood', h('input', { id: 'design-size', name: 'size', type: 'text', value: '30k-50k', autocomplete: 'off' })),
    field('design-nest', 'Nested in', h('select', { id: 'design-nest', name: 'nest' }, h('option', { value: 'la', selected: true }, 'Local authorities'), h('option', { value: 'sub-icb' }, 'Sub-ICBs'), h('option', { value: 'none' }, 'Nothing'))),
    field('design-count', 'Count (optional)', h('input', { id: 'design-count', name: 'count', type: 'number', min: 0, step: 1})),
    field('design-limit', 'Time limit (seconds)', h('input', { id: 'design-limit', name: 'limit', type: 'number', min: 1, max: 60, value: 30 })),
    field('design-name', 'Save the plan as', h('input', { id: 'design-name', name: 'name', type: 'text', required: true, maxlength: 100, autocomplete: 'off'})),
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
  let closed = false;
  dialog = modal('design', 'Design neighbourhoods', form, submit, () => (closed = true));

  async function submit(): Promise<void> {
    const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
    error.textContent = '';
    replace(status);
    const name = v('name');
    if (!v('within') || !name) {
      error.textContent = 'Give the region and a name.';
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
        h('li', null, `Construction: ${p.construction.toFixed(3)}`),
        h('li', null, `Teams suggest at the same count: ${p.greedy === null ? 'none' : `${p.greedy.toFixed(3)} (no band: teams up to ${fmtInt(p.greedy_largest || 0)}${p.greedy_per_msoa === undefined ? '' : `; ${p.greedy_per_msoa.toFixed(3)} before its teams that fell apart over the LSOAs were made contiguous`})`}`),
        h('li', null, `Upper bound: ${p.bound.toFixed(3)}`),
        h('li', { 'data-off-band': off.length }, `Outside the band: ${off.length}`, off.length ? `: ${off.slice(0, 3).map((n) => n.violation).join('; ')}` : ''),
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

}
