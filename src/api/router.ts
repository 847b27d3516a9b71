/**
 * Matching a request path against the route table: each template compiles to a regular expression
 * once; a path that matches some route under another method is 405 with the methods allowed.
 * The path is attacker-controlled: segments are percent-decoded strictly (a bad escape is 400)
 * and never contain a `/`.
 */
import { CustosError } from '../core/errors.js';
import { pathParams, type Method, type Route } from './routes.js';

interface Compiled {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

export interface Match {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

export class Router {
  private readonly compiled: readonly Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({
      route,
      names: pathParams(route.path),
      pattern: new RegExp(`^${route.path.replace(/[.]/g, '\\.').replace(/\{[A-Za-z]+\}/g, '([^/]+)')}$`),
    }));
  }

  /** The route and its parameters; NOT_FOUND or METHOD_NOT_ALLOWED (details.allow) otherwise. */
  match(method: string, path: string): Match {
    const allowed = new Set<Method>();
    for (const c of this.compiled) {
      const m = c.pattern.exec(path);
      if (m === null) continue;
      if (c.route.method !== method) {
        allowed.add(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeSegment(m[i + 1]!);
      });
      return { route: c.route, params };
    }
    if (allowed.size > 0) {
      throw new CustosError('METHOD_NOT_ALLOWED', `${method} is not allowed here`, {
        details: { allow: [...allowed].sort().join(', ') },
      });
    }
    throw new CustosError('NOT_FOUND', 'no such resource');
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new CustosError('INPUT_INVALID', 'a path segment is not valid percent-encoding', {
      details: { field: 'path' },
    });
  }
}
