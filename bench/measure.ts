import { performance } from 'node:perf_hooks';

export interface Measured {
  readonly best: number;
  readonly median: number;
}

/**
 * Runs `pass` once to warm up, then `passes` times; returns best and median throughput in units
 * per second, where `pass` returns how many units it processed.
 */
export async function throughput(passes: number, pass: () => number | Promise<number>): Promise<Measured> {
  await pass();
  const rates: number[] = [];
  for (let i = 0; i < passes; i++) {
    const t0 = performance.now();
    const units = await pass();
    rates.push(units / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { best: rates.at(-1) ?? 0, median: rates[Math.floor(rates.length / 2)] ?? 0 };
}
