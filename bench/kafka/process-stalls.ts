// How long each pipeline process's event loop stalled and paused for GC while the measured input
// went out, from its own /metrics (collectProcessMetrics): where a latency tail comes from.
import { seriesValue } from '../../test/helpers/prometheus-text.js';

/** One pipeline process over the measured window. */
export interface ProcessStalls {
  readonly pipeline: string;
  /** The event loop's p99 and longest lateness (ms past its 10 ms sampling interval). */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** Share of the window spent in GC pauses. */
  readonly gcShare: number;
}

/** The event-loop delay monitor's sampling interval (prom-client's default precision), which every sample includes. */
const LOOP_SAMPLING_MS = 10;

/** What one scrape says: the loop delay since the previous scrape (s) and the GC pause total since start (s). */
export interface ProcessScrape {
  readonly loopP99: number;
  readonly loopMax: number;
  readonly gcSeconds: number;
}

/** Reads a scrape's event-loop and GC figures from Prometheus text; undefined when it has none. */
export function parseProcessScrape(text: string): ProcessScrape | undefined {
  const loopP99 = seriesValue(text, 'nodejs_eventloop_lag_p99_seconds');
  const loopMax = seriesValue(text, 'nodejs_eventloop_lag_max_seconds');
  if (loopP99 === undefined || loopMax === undefined) return undefined;
  let gcSeconds = 0;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) gcSeconds += Number(m[1]);
  return { loopP99, loopMax, gcSeconds };
}

/** The window between two scrapes of one process (the second's loop figures cover just that window). */
export function stallsBetween(pipeline: string, first: ProcessScrape, last: ProcessScrape, seconds: number): ProcessStalls {
  const lateness = (s: number): number => Math.max(0, s * 1000 - LOOP_SAMPLING_MS);
  return { pipeline, loopP99Ms: lateness(last.loopP99), loopMaxMs: lateness(last.loopMax), gcShare: seconds > 0 ? (last.gcSeconds - first.gcSeconds) / seconds : 0 };
}

const scrape = async (port: number): Promise<ProcessScrape | undefined> => {
  try {
    return parseProcessScrape(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  } catch {
    return undefined;
  }
};

/**
 * Starts a window over the processes serving /metrics on `ports` (a scrape resets their event-loop
 * delay figures); the function it resolves to ends it. A process that cannot be scraped is left out.
 */
export async function measureStalls(ports: ReadonlyMap<string, number>): Promise<() => Promise<ProcessStalls[]>> {
  const started = performance.now();
  const firsts = new Map(await Promise.all([...ports].map(async ([pipeline, port]) => [pipeline, await scrape(port)] as const)));
  return async () => {
    const seconds = (performance.now() - started) / 1000;
    const stalls: ProcessStalls[] = [];
    for (const [pipeline, port] of ports) {
      const first = firsts.get(pipeline);
      const last = await scrape(port);
      if (first !== undefined && last !== undefined) stalls.push(stallsBetween(pipeline, first, last, seconds));
    }
    return stalls;
  };
}
