import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

let cached: string | undefined;

/** `polyflow/<version>` from package.json, sent on every request so servers can tell who calls. */
export function polyflowUserAgent(): string {
  if (cached !== undefined) return cached;
  let version = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // A missing package.json only costs the version number.
  }
  cached = `polyflow/${version}`;
  return cached;
}
