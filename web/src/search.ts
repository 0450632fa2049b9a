// The search box: an ARIA 1.2 combobox with suggestions from /api/search (areas and PCNs, by code or
// name prefix).

import { api, type SearchResult } from './api';
import { h, replace } from './dom';
import { displayName } from './format';

export function setupSearch(input: HTMLInputElement, list: HTMLUListElement, choose: (r: SearchResult) => void): void {
  let results: SearchResult[] = [];
  let active = -1;
  let timer = 0;
  let ctrl: AbortController | undefined;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const highlight = (i: number) => {
    active = i;
    list.querySelectorAll('[role=option]').forEach((el, k) => el.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) {
      input.setAttribute('aria-activedescendant', `search-opt-${i}`);
      list.querySelector(`#search-opt-${i}`)?.scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };

  const pick = (i: number) => {
    const r = results[i];
    if (!r) return;
    input.value = displayName(r.name);
    close();
    choose(r);
  };

  const render = (q: string) => {
    if (!results.length) {
      replace(list, h('li', { class: 'search-empty', role: 'presentation' }, `No area or PCN matches “${q}”.`));
    } else {
      replace(
        list,
        results.map((r, i) =>
          h(
            'li',
            {
              id: `search-opt-${i}`,
              role: 'option',
              'aria-selected': 'false',
              class: 'search-opt',
              onmousedown: (e: Event) => e.preventDefault(),
              onclick: () => pick(i),
            },
            h('span', { class: `badge badge-${r.type}` }, r.type === 'pcn' ? 'PCN' : 'Area'),
            h('span', { class: 'search-name' }, displayName(r.name)),
            h('code', { class: 'search-code' }, r.code),
          ),
        ),
      );
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(results.length ? 0 : -1);
  };

  const run = async () => {
    const q = input.value.trim();
    ctrl?.abort();
    if (q.length < 2) {
      results = [];
      close();
      return;
    }
    ctrl = new AbortController();
    try {
      const res = await api.search(q, ctrl.signal);
      if (input.value.trim() !== q) return;
      results = res.results;
      render(q);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') {
        results = [];
        replace(list, h('li', { class: 'search-empty error', role: 'presentation' }, 'Search is unavailable.'));
        list.hidden = false;
      }
    }
  };

  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, 120);
  });
  input.addEventListener('keydown', (e) => {
    switch (e.key) {
      case 'ArrowDown':
        if (list.hidden) {
          void run();
        } else if (results.length) highlight((active + 1) % results.length);
        e.preventDefault();
        break;
      case 'ArrowUp':
        if (results.length) highlight((active - 1 + results.length) % results.length);
        e.preventDefault();
        break;
      case 'Enter':
        if (!list.hidden && active >= 0) {
          pick(active);
          e.preventDefault();
        } else if (input.value.trim().length >= 2) {
          // Enter before the suggestions arrived: search now and take the first.
          e.preventDefault();
          window.clearTimeout(timer);
          const q = input.value.trim();
          api
            .search(q)
            .then((res) => {
              results = res.results;
              if (results.length) pick(0);
              else render(q);
            })
            .catch(() => undefined);
        }
        break;
      case 'Escape':
        if (!list.hidden) {
          close();
          e.preventDefault();
        } else if (input.value) {
          input.value = '';
        }
        break;
    }
  });
  input.addEventListener('blur', () => window.setTimeout(close, 100));
  input.addEventListener('focus', () => {
    if (results.length && input.value.trim().length >= 2) render(input.value.trim());
  });
}
