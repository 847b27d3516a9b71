/** Step builders for the contract kit: each step comes with an authority minted for its scope. */
import type { JsonValue } from '../../core/canonical-json.js';
import { scopeOf } from '../authority-check.js';
import type { Step, StepAction } from '../contract.js';
import type { ContractTarget } from './contract-kit.js';

export interface AuthorisedStep {
  readonly step: Step;
  readonly authority: string;
}

export type StepMaker = (
  runId: string,
  stepId: string,
  action: StepAction,
  params?: Record<string, JsonValue>,
) => AuthorisedStep;

export function stepFor(target: ContractTarget): StepMaker {
  return (runId, stepId, action, params = {}) => {
    const step: Step = { runId, stepId, action, system: target.system, identity: target.identity, params };
    return { step, authority: target.authority(scopeOf(step)) };
  };
}

/** Applies a step that issues a credential and returns its secret, checking that it logs in. */
export async function loginWith(
  target: ContractTarget,
  { step, authority }: AuthorisedStep,
): Promise<string> {
  const result = await target.connector.apply(step, authority);
  const secret = result.secret?.value;
  if (secret === undefined) throw new TypeError(`${step.action} issued no secret`);
  if (!(await target.login(secret)))
    throw new TypeError(`the secret issued by ${step.stepId} does not log in`);
  return secret;
}
