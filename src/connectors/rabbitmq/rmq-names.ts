/**
 * Names that reach URL paths of the management API (attacker-controlled: identities and requests
 * name them). Each is matched against a closed pattern and then percent-encoded as one path
 * segment (`segment`). The patterns start with a letter or digit, so no name is `.` or `..`, which
 * fetch would resolve as a path step (`/api/permissions/../users`).
 */
import { CustosError } from '../../core/errors.js';

const USER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VHOST = /^(?:\/|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

/** The user an identity names on the broker (`externalId`). */
export function assertUserName(name: string): string {
  if (!USER.test(name)) {
    throw new CustosError(
      'INPUT_INVALID',
      'a RabbitMQ user name is a letter or digit, then up to 127 letters, digits, ".", "_" or "-"',
    );
  }
  return name;
}

/** A vhost: `/` or a letter or digit, then up to 63 letters, digits, ".", "_" or "-". */
export function assertVhost(name: string): string {
  if (!VHOST.test(name)) {
    throw new CustosError(
      'INPUT_INVALID',
      'a vhost is "/" or a letter or digit, then up to 63 letters, digits, ".", "_" or "-"',
    );
  }
  return name;
}

/** One path segment: `/` becomes `%2F`, as the management API expects for the default vhost. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
