/**
 * One configuration schema, parsed once at start from the environment and command-line flags,
 * then passed down. There is no global getter and no default secret: keys are created by
 * `custos init` and read from files under the data directory.
 */
import path from 'node:path';
import { z } from 'zod';
import { CustosError } from '../core/errors.js';

const postgresUrl = z
  .string()
  .refine((s) => /^postgres(ql)?:\/\//.test(s), 'must be a postgres:// or postgresql:// URL');

const ConfigSchema = z
  .object({
    dataDir: z.string().min(1),
    databaseUrl: postgresUrl.optional(),
    /** Checkpoint origin (C2SP tlog-checkpoint line 1); only used when the ledger is created. */
    logOrigin: z
      .string()
      .regex(/^[\x21-\x2a\x2c-\x7e]+$/, 'must be printable ASCII without spaces or "+"')
      .optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema> & { readonly keysDir: string };

export interface ConfigInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags?: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Flags win over the environment; unset values fall back to documented, secret-free defaults. */
export function parseConfig({ env, flags = {}, cwd }: ConfigInput): Config {
  const raw = {
    dataDir: flags['data-dir'] ?? env['CUSTOS_DATA_DIR'] ?? '.custos',
    databaseUrl: flags['database-url'] ?? env['CUSTOS_DATABASE_URL'] ?? undefined,
    logOrigin: flags['origin'] ?? env['CUSTOS_LOG_ORIGIN'] ?? undefined,
    logLevel: flags['log-level'] ?? env['CUSTOS_LOG_LEVEL'] ?? 'info',
  };
  const result = ConfigSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
  );
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') ?? '?';
    // Never echo the value: a database URL may carry a password.
    throw new CustosError('CONFIG_INVALID', `configuration ${field}: ${issue?.message ?? 'invalid'}`, {
      details: { field },
    });
  }
  const dataDir = path.resolve(cwd, result.data.dataDir);
  return { ...result.data, dataDir, keysDir: path.join(dataDir, 'keys') };
}

/** A database URL with its password replaced, for messages and status output. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
