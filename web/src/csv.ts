// CSV files made in the browser for the download button.

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(+v.toFixed(6));
  let s = String(v);
  // OWASP's CSV-injection rule: a cell a spreadsheet would run as a formula gets a leading quote
  // (quoting the cell alone does not stop Excel); numbers never need it.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows under a header as RFC 4180 CSV. Text starting with =, +, -, @, a tab or a carriage
 * return is prefixed with a quote so that spreadsheets show it as text, not run it as a formula. */
export function toCSV(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Offers text as a file download. */
export function download(name: string, text: string): void {
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
