import { describe, expect, it, vi } from 'vitest';
import { onStopSignal } from './stop-signal.js';

describe('onStopSignal', () => {
  it('stops once on SIGINT or SIGTERM, and leaves no handler once taken off', () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const stop = vi.fn();
    const off = onStopSignal(stop);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    // As a signal would (only this handler: the test runner's own are left alone).
    const handler = process.listeners('SIGTERM').at(-1) as (signal: NodeJS.Signals) => void;
    process.off('SIGTERM', handler);
    handler('SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    off();
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(stop).toHaveBeenCalledTimes(1);
  });
});
