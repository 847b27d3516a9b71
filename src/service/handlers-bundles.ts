/** Workflow bundles (governed deployment) and alerts. */
import { listAlerts } from '../alerts/index.js';
import { decodeBase64Strict } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';
import { BundleInvalidError, checkBundleFiles, runGoldenCases, type BundleFile } from '../policy/index.js';
import type { BundleVersion } from '../workflows/index.js';
import { compact } from './compact.js';
import type { Handlers } from './context.js';

type BundleOps =
  'listBundles' | 'getBundle' | 'deployBundle' | 'approveBundle' | 'rejectBundle' | 'listAlerts';

export const bundleHandlers: Handlers<BundleOps> = {
  listBundles: async (ctx) => ({ items: await ctx.custos.bundles.list() }),
  getBundle: async (ctx, _a, { hash }) => found(await ctx.custos.bundles.get(hash), hash),

  /**
   * As `custos workflows deploy`: a bundle with any lint problem or failing golden case is refused
   * (BUNDLE_INVALID, every problem listed) before it is filed.
   */
  deployBundle: async (ctx, acting, { files }) => {
    const check = checkBundleFiles(files.map(decodeFile));
    if (!check.ok) throw new BundleInvalidError(check.problems, check.hash);
    const report = runGoldenCases(check.bundle);
    if (report.failed > 0) throw new BundleInvalidError(report.problems, check.hash);
    return ctx.custos.bundles.file(check.bundle, acting.id);
  },
  approveBundle: (ctx, acting, { hash, rationale }) =>
    ctx.custos.bundles.decide(hash, acting.id, 'approve', rationale),
  rejectBundle: (ctx, acting, { hash, rationale }) =>
    ctx.custos.bundles.decide(hash, acting.id, 'reject', rationale),

  listAlerts: async (ctx, _a, { subjectKind, subjectId, ...filter }) => {
    if ((subjectKind === undefined) !== (subjectId === undefined)) {
      throw new CustosError('INPUT_INVALID', 'give subjectKind and subjectId together', {
        details: { field: subjectKind === undefined ? 'subjectKind' : 'subjectId' },
      });
    }
    const subject =
      subjectKind === undefined || subjectId === undefined ? undefined : { kind: subjectKind, id: subjectId };
    return { items: await listAlerts(ctx.custos.store.read, compact({ ...filter, subject })) };
  },
};

function decodeFile(file: { readonly path: string; readonly content: string }): BundleFile {
  const bytes = decodeBase64Strict(file.content);
  if (bytes === undefined) {
    throw new CustosError('INPUT_INVALID', `${file.path}: content is not canonical base64`, {
      details: { field: 'files.content' },
    });
  }
  return { path: file.path, bytes };
}

function found(version: BundleVersion | undefined, hash: string): BundleVersion {
  if (version === undefined) throw new CustosError('NOT_FOUND', `no bundle version ${hash}`);
  return version;
}
