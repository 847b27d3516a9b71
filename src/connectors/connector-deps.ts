/**
 * What every connector for a real target is built with (src/connectors/registry.ts builds them all
 * alike); each connector's own deps add its options (logging hooks, default lifetimes, …).
 */
import type { FingerprintKey } from '../ledger/secrets.js';
import type { AuthorityCheck } from './authority-check.js';

export interface ConnectorDeps {
  /** Checks the delegated authority every call carries. */
  readonly authority: AuthorityCheck;
  /** Keys the HMAC fingerprints that records carry instead of secrets. */
  readonly fingerprintKey: FingerprintKey;
  /** Resolves a secret reference in a system's connection (`env:NAME`); the value is never logged. */
  readonly resolveSecret: (ref: string) => string;
  /** The clock of expiries and overlap windows (injected, so tests can move it). */
  readonly now: () => Date;
}
