/**
 * A strict RFC 4180 CSV reader: comma-separated fields, quoted fields that may hold commas, line
 * breaks and doubled quotes (`""`), records ending in CRLF (LF and a lone CR are accepted too).
 * Each record carries the 1-based line it starts on, so problems can name it. The input is
 * attacker-controlled: errors name a line, never repeat the text.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let fields: string[] = [];
  let line = 1;
  let recordLine = 1;
  let i = 0;
  while (i <= n && n > 0) {
    let field = '';
    if (text[i] === '"') {
      const start = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvSyntaxError(start, 'a quoted field is not closed');
        const ch = text[i]!;
        if (ch === '"') {
          i++;
          if (text[i] !== '"') break;
        } else if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        field += ch;
        i++;
      }
      if (i < n && !isBreak(text[i]!)) {
        throw new CsvSyntaxError(line, 'a closing quote must end the field');
      }
    } else {
      const start = i;
      while (i < n && !isBreak(text[i]!)) {
        if (text[i] === '"') throw new CsvSyntaxError(line, 'a quote inside an unquoted field');
        i++;
      }
      field = text.slice(start, i);
    }
    fields.push(field);
    if (i < n && text[i] === ',') {
      i++;
      continue;
    }
    records.push({ line: recordLine, fields });
    if (i >= n) break;
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    recordLine = line;
    fields = [];
    if (i >= n) break; // a final line break ends the last record, it does not start a new one
  }
  return records;
}

function isBreak(ch: string): boolean {
  return ch === ',' || ch === '\n' || ch === '\r';
}
