/**
 * `custos alerts list`: alerts with their delivery state, oldest first (`custos serve` delivers
 * them to the configured webhook; without one they stay pending and are listed here).
 *
 *   alerts list [--state pending|delivered|failed|…] [--run RUN | --subject KIND:ID] [--limit N] [--json]
 */
import { CustosError } from '../../core/errors.js';
import { intFlag, wantsJson } from '../args.js';
import { withBackend } from '../backend.js';
import { EXIT, type CliIo, type ParsedArgs } from '../io.js';
import { printColumns } from './inventory-format.js';
import { printJson } from './open.js';

const USAGE = 'usage: custos alerts list [--state S] [--run RUN | --subject KIND:ID] [--limit N] [--json]';

export function alertsCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positional[0] !== 'list') throw new CustosError('INPUT_INVALID', USAGE);
  const subject = subjectOf(args);
  const limit = intFlag(args, 'limit', 1, 1000);
  return withBackend(args, io, async ({ api, caller }) => {
    const { items } = await api.listAlerts(caller, {
      ...(args.flags['state'] === undefined ? {} : { state: args.flags['state'] as never }),
      ...(subject === undefined ? {} : { subjectKind: subject.kind, subjectId: subject.id }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (wantsJson(args)) printJson(io, { items });
    else
      printColumns(
        io,
        ['ID', 'KIND', 'SEVERITY', 'STATE', 'SUBJECT', 'NOTIFY', 'RECORD', 'SUMMARY'],
        items.map((a) => [
          a.id,
          a.kind,
          a.severity,
          a.state,
          `${a.subject.kind}:${a.subject.id}`,
          a.notify.join(','),
          a.ledgerIndex === null ? null : `#${a.ledgerIndex}`,
          a.summary,
        ]),
      );
    return EXIT.ok;
  });
}

function subjectOf(args: ParsedArgs): { kind: string; id: string } | undefined {
  const run = args.flags['run'];
  if (run !== undefined) return { kind: 'run', id: run };
  const subject = args.flags['subject'];
  if (subject === undefined) return undefined;
  const at = subject.indexOf(':');
  if (at <= 0) throw new CustosError('INPUT_INVALID', `--subject is KIND:ID\n${USAGE}`);
  return { kind: subject.slice(0, at), id: subject.slice(at + 1) };
}
