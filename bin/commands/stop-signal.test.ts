import { describe, expect, it, vi } from 'vitest';
import { onStopSignal } from './stop-signal.js';

/** The listener `onStopSignal` put on `signal` as the process holds it (a `once` wrapper calls it and takes itself off). */
const lastRaw = (signal: NodeJS.Signals): ((signal: NodeJS.Signals) => void) => process.rawListeners(signal).at(-1) as (signal: NodeJS.Signals) => void;

describe('onStopSignal', () => {
  it('stops on the first SIGTERM, whose handler goes with it; taking them off leaves no handler', () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const stop = vi.fn();
    const off = onStopSignal(stop);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    // As a signal would call it (only this handler: the test runner's own are left alone).
    lastRaw('SIGTERM')('SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    off();
    expect(process.listenerCount('SIGINT')).toBe(before.int);
  });

  it('stops on SIGINT too', () => {
    const stop = vi.fn();
    const off = onStopSignal(stop);
    lastRaw('SIGINT')('SIGINT');
    off();
    expect(stop).toHaveBeenCalledTimes(1);
  });
});
