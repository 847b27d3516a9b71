/**
 * Separation of duties over a decision route, enforced by the engine. Votes are replayed in order
 * of arrival, each one admitted by the same rule checkApprovalAllowed applies to a new vote:
 * approvers are people, never the requester nor the executor identity, vote once, and count for at
 * most one required approval (a maximum matching of people to slots, see matching.ts), using the
 * group memberships they held at the moment they voted. Ordered routes fill one step at a time.
 * A denial from anyone who may vote on the route (a member of one of its groups) denies it.
 */
import { CustosError } from '../core/errors.js';
import type { ApprovalRequirement, DecisionRoute, RiskTier } from '../policy/index.js';
import { SlotMatching } from './matching.js';

export type RouteShape = Pick<DecisionRoute, 'mode' | 'requirements' | 'ordered'>;

export interface Vote {
  readonly principal: string;
  readonly decision: 'approve' | 'deny';
  /** The voter's group memberships at the moment of the vote. */
  readonly groups: readonly string[];
  readonly at: string;
}

export interface ApprovalContext {
  readonly route: RouteShape;
  readonly requester: string;
  readonly executor: string;
  readonly approvals: readonly Vote[];
}

export interface Evaluation {
  readonly satisfied: boolean;
  readonly denied: boolean;
  /** Requirements still short of approvals, with the number still needed. */
  readonly pending: readonly ApprovalRequirement[];
  /** Which person fills which requirement (index into route.requirements). */
  readonly assignment: readonly {
    readonly principal: string;
    readonly requirement: number;
    readonly group: string;
  }[];
  /** Votes that do not count, and why (the code checkApprovalAllowed would have thrown). */
  readonly ignored: readonly { readonly principal: string; readonly reason: string }[];
}

type Refusal = { code: 'SOD_VIOLATION' | 'APPROVAL_NOT_ELIGIBLE'; reason: string };

class Replay {
  private readonly slotGroups: string[] = [];
  private readonly slotRequirement: number[] = [];
  private readonly matching: SlotMatching;
  private readonly counted: string[] = [];
  readonly voted = new Set<string>();
  denied = false;

  constructor(private readonly ctx: Omit<ApprovalContext, 'approvals'>) {
    ctx.route.requirements.forEach((r, i) => {
      for (let n = 0; n < r.count; n++) {
        this.slotGroups.push(r.group);
        this.slotRequirement.push(i);
      }
    });
    this.matching = new SlotMatching(this.slotGroups);
  }

  get satisfied(): boolean {
    return !this.denied && this.matching.complete;
  }

  /** Why this vote may not be cast now, or undefined when it may. */
  refusal(vote: Vote): Refusal | undefined {
    const sod = (reason: string): Refusal => ({ code: 'SOD_VIOLATION', reason });
    const notEligible = (reason: string): Refusal => ({ code: 'APPROVAL_NOT_ELIGIBLE', reason });
    if (vote.principal === this.ctx.requester) return sod('requester');
    if (vote.principal === this.ctx.executor) return sod('executor');
    if (!vote.principal.startsWith('person:')) return sod('not_person');
    if (this.voted.has(vote.principal)) return sod('duplicate');
    if (this.ctx.route.mode !== 'approvals' || this.denied || this.matching.complete)
      return notEligible('closed');
    const groups = new Set(vote.groups);
    const routeGroups = this.ctx.route.requirements.filter((r) => r.count > 0).map((r) => r.group);
    if (vote.decision === 'deny')
      return routeGroups.some((g) => groups.has(g)) ? undefined : notEligible('group');
    if (this.ctx.route.ordered) {
      const open = this.openSlots();
      if (groups.has(this.slotGroups[open[0]!]!)) return undefined;
      return notEligible(open.some((slot) => groups.has(this.slotGroups[slot]!)) ? 'order' : 'group');
    }
    return this.matching.wouldAugment(vote.groups) ? undefined : notEligible('group');
  }

  /** Casts a vote refusal() admitted. */
  cast(vote: Vote): void {
    this.voted.add(vote.principal);
    if (vote.decision === 'deny') {
      this.denied = true;
      return;
    }
    // Ordered: only the current step's slots may be filled, so offer only that group.
    const groups = this.ctx.route.ordered ? [this.currentStep()] : vote.groups;
    if (this.matching.add(groups)) this.counted.push(vote.principal);
  }

  /** The group of the first step with an open slot (ordered routes; the route is not complete). */
  private currentStep(): string {
    return this.slotGroups[this.openSlots()[0]!]!;
  }

  private openSlots(): number[] {
    return this.slotGroups.flatMap((_, slot) =>
      this.matching.assignment()[slot] === undefined ? [slot] : [],
    );
  }

  evaluation(ignored: Evaluation['ignored']): Evaluation {
    const holders = this.matching.assignment();
    const assignment: Evaluation['assignment'][number][] = [];
    const missing = this.ctx.route.requirements.map(() => 0);
    holders.forEach((h, slot) => {
      const requirement = this.slotRequirement[slot]!;
      if (h === undefined) missing[requirement]! += 1;
      else assignment.push({ principal: this.counted[h]!, requirement, group: this.slotGroups[slot]! });
    });
    const pending = this.ctx.route.requirements
      .map((r, i) => ({ group: r.group, count: missing[i]! }))
      .filter((r) => r.count > 0);
    return { satisfied: this.satisfied, denied: this.denied, pending, assignment, ignored };
  }
}

function sortedVotes(votes: readonly Vote[]): Vote[] {
  return [...votes].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function evaluateApprovals(ctx: ApprovalContext): Evaluation {
  const replay = new Replay(ctx);
  const ignored: { principal: string; reason: string }[] = [];
  for (const vote of sortedVotes(ctx.approvals)) {
    const refusal = replay.refusal(vote);
    if (refusal === undefined) replay.cast(vote);
    else ignored.push({ principal: vote.principal, reason: refusal.reason });
  }
  return replay.evaluation(ignored);
}

/**
 * Throws unless `vote` may be cast now, given the votes already accepted: INPUT_INVALID (a denial,
 * or an approval on a high or critical route, without a rationale), SOD_VIOLATION or
 * APPROVAL_NOT_ELIGIBLE, with details.reason.
 */
export function checkApprovalAllowed(
  ctx: ApprovalContext,
  vote: Vote & { readonly rationale: string },
  riskTier: RiskTier | undefined,
): void {
  const highRisk = riskTier === 'high' || riskTier === 'critical';
  if ((vote.decision === 'deny' || highRisk) && vote.rationale.trim() === '') {
    throw new CustosError(
      'INPUT_INVALID',
      `a ${vote.decision === 'deny' ? 'denial' : 'high-risk approval'} needs a rationale`,
      {
        details: { reason: 'rationale' },
      },
    );
  }
  const replay = new Replay(ctx);
  for (const accepted of sortedVotes(ctx.approvals))
    if (replay.refusal(accepted) === undefined) replay.cast(accepted);
  const refusal = replay.refusal(vote);
  if (refusal !== undefined) {
    throw new CustosError(refusal.code, `${vote.principal} may not ${vote.decision} (${refusal.reason})`, {
      details: { reason: refusal.reason, principal: vote.principal },
    });
  }
}
