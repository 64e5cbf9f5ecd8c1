/**
 * The entries of `name` in the CLI's usage text: the lines from each `  <name> ...` entry under
 * "Commands:" to the next entry (a command may have several, like `run`); undefined when it has none.
 */
export function commandUsage(usage: string, name: string): string | undefined {
  const lines = usage.split('\n');
  const entry = (line: string): string | undefined => /^ {2}([a-z][a-z-]*)\b/.exec(line)?.[1];
  const out: string[] = [];
  let inside = false;
  for (const line of lines.slice(lines.indexOf('Commands:') + 1)) {
    if (line === '') break;
    const starts = entry(line);
    if (starts !== undefined) inside = starts === name;
    if (inside) out.push(line);
  }
  return out.length === 0 ? undefined : out.map((l) => (entry(l) === undefined ? l.slice(2) : `polyflow ${l.slice(2)}`)).join('\n');
}

/** True for node:util parseArgs's errors (an unknown option, a missing value, a stray positional). */
export function isArgumentError(err: unknown): err is Error & { code: string } {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
