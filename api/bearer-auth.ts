import { createHash, timingSafeEqual } from 'node:crypto';

/** Outcome of checking a request's `Authorization` header against the configured token. */
export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer-token check for mutating routes. Both sides are hashed first so `timingSafeEqual` gets
 * equal lengths and the comparison time says nothing about the token, not even its length.
 * No token configured: every mutation is refused (403), never let through.
 */
export function checkBearer(configuredToken: string, header: string | undefined): AuthResult {
  if (configuredToken === '') return { ok: false, status: 403, message: 'mutations are disabled: no API token is configured (set POLYFLOW_API_TOKEN)' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match === null) return { ok: false, status: 401, message: 'missing bearer token (Authorization: Bearer <token>)' };
  if (!timingSafeEqual(digest(match[1]!), digest(configuredToken))) return { ok: false, status: 401, message: 'invalid bearer token' };
  return { ok: true };
}
