// Redrawing a panel from scratch without losing the user's place: what was typed into its text
// fields (matched by id, caret included) and the focused control (by id, else a fallback heading).
// A field the redraw leaves out is forgotten with it.

/** Replaces el's content with draw(), keeping typed values and the keyboard's place. */
export function redraw(el: HTMLElement, draw: () => void, fallback: string): void {
  const typed = new Map<string, { value: string; start: number | null; end: number | null }>();
  for (const i of el.querySelectorAll<HTMLInputElement>('input[id]')) {
    if (i.type === 'text' || i.type === 'password' || i.type === 'search') typed.set(i.id, { value: i.value, start: i.selectionStart, end: i.selectionEnd });
  }
  const active = document.activeElement;
  const focused = active && active !== document.body && el.contains(active) ? (active as HTMLElement).id : undefined;
  draw();
  for (const [id, v] of typed) {
    const i = document.getElementById(id);
    if (i instanceof HTMLInputElement && el.contains(i)) i.value = v.value;
  }
  if (focused === undefined) return;
  const f = (focused && document.getElementById(focused)) || document.getElementById(fallback);
  f?.focus();
  const v = focused ? typed.get(focused) : undefined;
  if (v && f instanceof HTMLInputElement && v.start !== null) f.setSelectionRange(v.start, v.end);
}
