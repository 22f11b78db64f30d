/**
 * CSV as French spreadsheets read it: semicolons, CRLF, UTF-8 with a byte order mark so that
 * accents survive. A cell that a spreadsheet would take for a formula (=, +, -, @, tab, CR) is
 * prefixed with an apostrophe: exported user text must never run (CSV injection).
 */
export const CSV_BOM = '\uFEFF';

export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[;"\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(';')}\r\n`;
}
