/**
 * Calls `stop` on the first SIGINT or SIGTERM (a graceful stop: a long-running command flushes and
 * closes); the function returned takes the handlers off again, so a second signal while closing
 * gets Node's default handling (the process ends).
 */
export function onStopSignal(stop: () => void): () => void {
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}
