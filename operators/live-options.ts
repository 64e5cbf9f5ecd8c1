/**
 * Options an operator reads on every input: a fixed value, or a getter (a settings holder's view)
 * whose result keeps its identity until the settings change. The operator stays pure: it resolves
 * the options it is handed and never reads a clock, a store or the environment; the getter is how
 * `PUT /settings/...` reaches a running operator without a restart.
 */
export type LiveOptions<T extends object> = T | (() => T);

/** A reader that resolves `opts` (defaults filled in, checks run) once per distinct value. */
export function liveOptions<T extends object, R>(opts: LiveOptions<T>, resolve: (o: T) => R): () => R {
  if (typeof opts !== 'function') {
    const fixed = resolve(opts);
    return () => fixed;
  }
  const read = opts as () => T;
  let last: T | undefined;
  let resolved: R | undefined;
  return () => {
    const current = read();
    if (current !== last || resolved === undefined) {
      resolved = resolve(current);
      last = current;
    }
    return resolved;
  };
}
