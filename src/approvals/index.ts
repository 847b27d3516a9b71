export { requestDigest, type DigestDecision, type DigestInput } from './digest.js';
export {
  approverKeyId,
  approverPublicKey,
  generateApproverKey,
  type ApproverKey,
  type GeneratedApproverKey,
} from './approver-keys.js';
export {
  signApproval,
  verifyApproval,
  type ApprovalDecision,
  type SignApprovalInput,
  type SignedApproval,
  type VerifyApprovalOptions,
} from './signed-approval.js';
export {
  checkApprovalAllowed,
  evaluateApprovals,
  type ApprovalContext,
  type Evaluation,
  type RouteShape,
  type Vote,
} from './separation.js';
