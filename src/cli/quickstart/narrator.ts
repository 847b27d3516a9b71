/**
 * The quickstart's voice: numbered scenes, indented facts, and the ledger evidence of each step
 * (record indexes and types, run ids). Nothing secret is ever passed here: issued credentials are
 * shown by fingerprint only.
 */
import type { LedgerRecord } from '../../ledger/record.js';
import type { CliIo } from '../io.js';
import { indexRange } from '../run-format.js';

type Rec = Pick<LedgerRecord, 'index' | 'type'>;

export interface Narrator {
  title(text: string): void;
  scene(n: number | string, title: string): void;
  say(text: string): void;
  fact(label: string, value: string): void;
  /** The records of one run (or any correlation id), compactly: `#41–#47 run.requested → … → run.verified`. */
  evidence(label: string, records: readonly Rec[]): void;
  skipped(n: number, title: string, why: string): void;
  blank(): void;
}

export function narrator(io: CliIo): Narrator {
  const wrap = (text: string, indent: string) =>
    wrapText(text, 100 - indent.length)
      .map((l) => `${indent}${l}\n`)
      .join('');
  return {
    title: (text) => io.out(`${text}\n${'='.repeat(text.length)}\n\n`),
    scene: (n, title) => io.out(`\n${n}. ${title}\n`),
    say: (text) => io.out(wrap(text, '   ')),
    fact: (label, value) => io.out(`   ${`${label}:`.padEnd(14)} ${value}\n`),
    evidence: (label, records) => {
      const types = records.map((r) => r.type);
      io.out(`   ${'evidence:'.padEnd(14)} ${label}, records ${indexRange(records)}\n`);
      io.out(wrap(types.join(' → '), '                  '));
    },
    skipped: (n, title, why) => io.out(`\n${n}. ${title}\n   SKIPPED: ${why}\n`),
    blank: () => io.out('\n'),
  };
}

function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
