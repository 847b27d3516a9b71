/**
 * Structured access logs: one JSON object per request. Only what is safe to keep: never a header
 * (so never Authorization), never a body, never a query string (only the path and its route
 * template), never an issued secret. Errors are named by their stable code.
 */
export interface AccessLogEntry {
  readonly time: string;
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: 'request';
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly operation: string | null;
  readonly status: number;
  readonly code: string | null;
  readonly ms: number;
  readonly principal: string | null;
  readonly tokenId: string | null;
  readonly replayed: boolean;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly remote: string | null;
  /** For an internal error: the error's class name and stack frames (never its message). */
  readonly error?: { readonly name: string; readonly stack: readonly string[] };
}

export type AccessLog = (entry: AccessLogEntry) => void;

/** What is learnt about a request while serving it, for its log line. */
export type RequestFacts = { -readonly [K in keyof AccessLogEntry]?: AccessLogEntry[K] };

export const stdoutLog: AccessLog = (entry) => {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
};

export function levelOf(status: number): AccessLogEntry['level'] {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/** An unexpected error, without its message (a driver's message can quote the values it saw). */
export function describeInternal(error: unknown): { name: string; stack: string[] } {
  if (!(error instanceof Error)) return { name: typeof error, stack: [] };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 8)
    .map((l) => l.trim());
  return { name: error.name, stack: frames };
}

/** The path alone, without its query string; over-long paths are cut. */
export function pathOnly(url: string | undefined): string {
  const raw = url ?? '';
  const q = raw.indexOf('?');
  return (q < 0 ? raw : raw.slice(0, q)).slice(0, 300);
}
