// CSV as RFC 4180 writes it (CRLF line ends; a field with a comma, a quote, CR or LF in
// double quotes, its quotes doubled), made safe to open in a spreadsheet: a value that starts
// with = + - @, a tab or CR would be read as a formula, so it gets a leading single quote
// (OWASP's advice for CSV injection).

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole document: the header row, then one row per record, each line ending in CRLF. */
export function csvDocument(columns, records) {
  const lines = [columns.map(csvField).join(',')];
  for (const record of records) lines.push(columns.map((c) => csvField(record[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
