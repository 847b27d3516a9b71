/**
 * A policy's system-type guard: the literal X when the policy's first condition is a `when` whose
 * leftmost conjunct is `resource.systemType == "X"` (either side). Such a policy can neither apply
 * nor error for a resource whose systemType is another string: Cedar evaluates a policy as its
 * scope && its conditions in order, and `&&` never evaluates its right side once the left is false.
 * cedar-engine.ts uses it to leave those policies out of a decision's policy set (exact, like the
 * slicing by action).
 */
import type { Clause, Expr } from '@cedar-policy/cedar-wasm/nodejs';

export function systemTypeGuard(conditions: readonly Clause[]): string | undefined {
  const first = conditions[0];
  if (first?.kind !== 'when') return undefined;
  let expr: Expr = first.body;
  while ('&&' in expr) expr = (expr as { '&&': { left: Expr } })['&&'].left;
  if (!('==' in expr)) return undefined;
  const { left, right } = (expr as { '==': { left: Expr; right: Expr } })['=='];
  return (
    (isSystemTypeOfResource(left) ? stringLiteral(right) : undefined) ??
    (isSystemTypeOfResource(right) ? stringLiteral(left) : undefined)
  );
}

function isSystemTypeOfResource(expr: Expr): boolean {
  if (!('.' in expr)) return false;
  const access = (expr as { '.': { left: Expr; attr: string } })['.'];
  return access.attr === 'systemType' && 'Var' in access.left && access.left.Var === 'resource';
}

function stringLiteral(expr: Expr): string | undefined {
  return 'Value' in expr && typeof expr.Value === 'string' ? expr.Value : undefined;
}
