/** What a CLI command may touch: its arguments, streams and environment. Tests run the real binary. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
  readonly isTty: boolean;
}

export const EXIT = {
  ok: 0,
  /** Verification found tampering or an invalid artefact. */
  verifyFailed: 1,
  /** Bad usage or bad input. */
  usage: 2,
  /**
   * Anything else: refused (not authenticated, not allowed, separation of duties), store or server
   * unavailable, I/O.
   */
  error: 3,
} as const;

export interface ParsedArgs {
  readonly positional: readonly string[];
  readonly flags: Readonly<Record<string, string | undefined>>;
  readonly bools: ReadonlySet<string>;
}

/** `--name value`, `--name=value`, and boolean `--name` for names listed in `booleans`. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  const bools = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (eq > 0) flags[name] = arg.slice(eq + 1);
    else if (booleans.includes(name)) bools.add(name);
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) bools.add(name);
      else {
        flags[name] = value;
        i++;
      }
    }
  }
  return { positional, flags, bools };
}

/** A progress bar on stderr when attached to a terminal; silent otherwise. */
export function progressBar(io: CliIo, label: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    if (!io.isTty || total === 0) return;
    const pct = Math.floor((done * 100) / total);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30;
    const filled = Math.round((width * done) / total);
    io.err(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${done}/${total}`);
    if (done === total) io.err('\n');
  };
}
