/**
 * `endSessions` of the contract, for every connector: the same effect as an `end_sessions` step
 * (idempotent, journalled and authorised like any other), reporting how many sessions it ended —
 * a count, or the list of what it ended (the token issuer lists the tokens it revoked).
 */
import type { Connector, DelegatedAuthority, Step } from './contract.js';

export async function endSessionsAsStep(
  connector: Pick<Connector, 'apply'>,
  step: Step,
  authority: DelegatedAuthority,
): Promise<number> {
  const result = await connector.apply({ ...step, action: 'end_sessions' }, authority);
  const ended = result.outputs['ended'];
  return typeof ended === 'number' ? ended : Array.isArray(ended) ? ended.length : 0;
}
