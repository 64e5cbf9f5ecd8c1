import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The directory holding polyflow's package.json. Code runs from the sources (vitest) and from
 * `dist/` (after tsc), while data files it ships (schemas/*.avsc, models/artifacts) stay at the root.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  root = dir;
  return root;
}

/** A configured path: absolute as given, relative to the package root otherwise. */
export const fromPackageRoot = (path: string): string => (isAbsolute(path) ? path : resolve(packageRoot(), path));
