/**
 * The SCIM test peer: scimmy + scimmy-routers (a real RFC 7643/7644 implementation) on Express 4
 * (Express 5 silently ignores paging), over the in-memory store of peer-store.ts. Behind a bearer
 * token. Around the routers, what a test needs and scimmy lacks: the Location header on 201 (RFC
 * 7644 §3.3 requires it; scimmy omits it), ETag headers from meta.version, a password check at
 * POST /login (200, 401, or 403 when inactive), and a control API under /_peer (its own token):
 * every request as received, injected faults, PATCH answered 204, ETag support on or off.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { CUSTOS_EXTENSION, PeerStore, type PeerContext } from './peer-store.js';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  status?: number;
}

export interface Fault {
  readonly status: number;
  readonly count: number;
  readonly retryAfter?: string;
  /** Only requests whose method and path start match. */
  readonly method?: string;
  readonly path?: string;
  readonly scimType?: string;
  /** Echo the request body in the error detail (a careless service). */
  readonly echo?: boolean;
  /** Instead of failing: another client changes the resource first (a race for If-Match). */
  readonly touch?: boolean;
  /** Instead of failing: process the request, then drop the connection (the answer is lost). */
  readonly drop?: boolean;
}

export interface PeerOptions {
  readonly token: string;
  readonly controlToken: string;
  readonly extension: boolean;
}

interface State {
  received: Received[];
  faults: (Fault & { left: number })[];
  force204: boolean;
  etag: boolean;
}

type RawRequest = Request & { rawBody?: string };
const MEDIA = ['application/scim+json', 'application/json'];

export function peerApp(options: PeerOptions): express.Express {
  const store = new PeerStore();
  const state: State = { received: [], faults: [], force204: false, etag: true };
  declareResources(store, options.extension);
  const app = express();
  app.set('etag', false);
  app.use(
    express.json({ type: MEDIA, verify: (req: RawRequest, _res, buf) => (req.rawBody = buf.toString()) }),
  );
  app.use('/_peer', control(options.controlToken, state));
  app.use((req: RawRequest, res, next) => record(state, req, res, next));
  app.post('/login', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const outcome = store.login(body['userName'], body['password']);
    res.status(outcome === 'ok' ? 200 : outcome === 'inactive' ? 403 : 401).end();
  });
  app.use('/scim', (req: RawRequest, res, next) => fault(state, store, req, res, next));
  app.use('/scim', (req, res, next) => decorate(state, req, res, next));
  const routers = new SCIMMYRouters({
    type: 'bearer',
    handler: (req: Request) => {
      if (req.header('authorization') !== `Bearer ${options.token}`) throw new Error('invalid bearer token');
      return 'custos-provisioner';
    },
    context: (req: Request): PeerContext => ({ ifMatch: req.header('if-match'), etag: state.etag }),
  });
  SCIMMY.Config.set({ changePassword: true, etag: true });
  app.use('/scim', routers);
  return app;
}

/** scimmy's handler registration, typed loosely: its typings model instances this store never sees. */
interface Declared {
  ingress(h: (r: { id?: string }, data: Record<string, unknown>, ctx: PeerContext) => unknown): Declared;
  egress(h: (r: { id?: string; filter?: Matcher }) => unknown): Declared;
  degress(h: (r: { id: string }, ctx: PeerContext) => void): Declared;
}
interface Matcher {
  match(values: unknown[]): unknown[];
}

function declareResources(store: PeerStore, extension: boolean): void {
  const declare = SCIMMY.Resources.declare.bind(SCIMMY.Resources) as unknown as (
    resource: unknown,
  ) => Declared;
  const definition = new SCIMMY.Types.SchemaDefinition(
    'CustosUser',
    CUSTOS_EXTENSION,
    'The Custos step journal',
    [new SCIMMY.Types.Attribute('string', 'journal', { caseExact: true })],
  );
  const extend = SCIMMY.Resources.User.extend as unknown as (ext: unknown, required: boolean) => unknown;
  declare(extension ? extend.call(SCIMMY.Resources.User, definition, false) : SCIMMY.Resources.User)
    .ingress((r, data, ctx) => store.writeUser(r.id, data, ctx))
    .egress((r) => select(store.readUsers(r.id), r.filter))
    .degress((r, ctx) => store.deleteUser(r.id, ctx));
  declare(SCIMMY.Resources.Group)
    .ingress((r, data, ctx) => store.writeGroup(r.id, data, ctx))
    .egress((r) => select(store.readGroups(r.id), r.filter))
    .degress((r, ctx) => store.deleteGroup(r.id, ctx));
}

/** Lists are filtered here (scimmy leaves that to the store); paging is scimmy's. */
function select(found: unknown, filter: Matcher | undefined): unknown {
  return Array.isArray(found) && filter !== undefined ? filter.match(found) : found;
}

function record(state: State, req: RawRequest, res: Response, next: NextFunction): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const entry: Received = { method: req.method, url: req.originalUrl, headers, body: req.rawBody ?? '' };
  state.received.push(entry);
  res.on('finish', () => (entry.status = res.statusCode));
  next();
}

function fault(state: State, store: PeerStore, req: RawRequest, res: Response, next: NextFunction): void {
  const f = state.faults.find(
    (x) => x.left > 0 && (x.method ?? req.method) === req.method && req.path.startsWith(x.path ?? ''),
  );
  if (f === undefined) return next();
  f.left -= 1;
  if (f.touch === true) {
    store.touch(req.path.split('/')[2] ?? '');
    return next();
  }
  if (f.drop === true) {
    res.locals['drop'] = true;
    return next();
  }
  if (f.retryAfter !== undefined) res.setHeader('Retry-After', f.retryAfter);
  const detail = f.echo === true ? `cannot process ${req.rawBody ?? ''}` : 'injected fault';
  res.status(f.status).type('application/scim+json');
  const error = {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: String(f.status),
    detail,
  };
  res.send(JSON.stringify(f.scimType === undefined ? error : { ...error, scimType: f.scimType }));
}

/** Location on 201 and ETag from meta.version; PATCH answered 204 when asked to. */
function decorate(state: State, req: Request, res: Response, next: NextFunction): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    if (res.locals['drop'] === true) {
      req.socket.destroy();
      return res;
    }
    if (req.method === 'PATCH' && state.force204 && res.statusCode === 200) return res.status(204).end();
    const parsed =
      typeof body === 'string' && body.startsWith('{') ? (JSON.parse(body) as Record<string, unknown>) : body;
    const meta = (parsed as { meta?: { location?: unknown; version?: unknown } } | undefined)?.meta;
    if (res.statusCode === 201 && typeof meta?.location === 'string') {
      res.setHeader('Location', `${req.protocol}://${req.get('host') ?? ''}${meta.location}`);
    }
    if (state.etag && typeof meta?.version === 'string') res.setHeader('ETag', meta.version);
    return send(body);
  };
  next();
}

function control(token: string, state: State): express.Router {
  const router = express.Router();
  router.use((req, res, next) => (req.header('x-peer-control') === token ? next() : res.status(403).end()));
  router.get('/requests', (_req, res) => res.json(state.received));
  router.delete('/requests', (_req, res) => {
    state.received = [];
    res.status(204).end();
  });
  router.post('/faults', (req, res) => {
    const f = req.body as Fault;
    state.faults.push({ ...f, left: f.count });
    res.status(204).end();
  });
  router.delete('/faults', (_req, res) => {
    state.faults = [];
    res.status(204).end();
  });
  router.post('/options', (req, res) => {
    const o = req.body as { force204?: boolean; etag?: boolean; maxResults?: number };
    if (o.force204 !== undefined) state.force204 = o.force204;
    if (o.maxResults !== undefined) SCIMMY.Config.set({ filter: o.maxResults });
    if (o.etag !== undefined) {
      state.etag = o.etag;
      SCIMMY.Config.set({ etag: o.etag });
    }
    res.status(204).end();
  });
  return router;
}
