import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('resolves waiters only when the last piece of work ends', async () => {
    const f = new InFlight();
    f.begin();
    f.begin();
    let idle = false;
    const waiting = f.whenIdle().then(() => (idle = true));
    f.end();
    await Promise.resolve();
    expect(idle).toBe(false);
    expect(f.busy).toBe(true);
    f.end();
    await waiting;
    expect(idle).toBe(true);
    expect(f.busy).toBe(false);
  });

  it('is idle at once when nothing runs, and an extra end() does not go negative', async () => {
    const f = new InFlight();
    f.end();
    await f.whenIdle();
    f.begin();
    expect(f.busy).toBe(true);
  });

  it('drain() hands on the work each stage holds back, and waits for it; a stage that unregistered is left alone', async () => {
    const f = new InFlight();
    const handed: string[] = [];
    let finish = (): void => undefined;
    f.holdsBack(() => {
      handed.push('batch');
      f.begin();
      finish = () => f.end();
    });
    const unregister = f.holdsBack(() => handed.push('gone'));
    unregister();
    let drained = false;
    const draining = f.drain().then(() => (drained = true));
    expect(handed).toEqual(['batch']);
    await Promise.resolve();
    expect(drained).toBe(false);
    finish();
    await draining;
    expect(drained).toBe(true);
  });

  it('drain() rejects once work failed (its outputs never come), while whenIdle() still just waits', async () => {
    const f = new InFlight();
    f.begin();
    const boom = new Error('scoring failed');
    f.fail(boom);
    f.fail(new Error('a later one'));
    const draining = f.drain();
    f.end();
    await expect(draining).rejects.toBe(boom);
    await expect(f.whenIdle()).resolves.toBeUndefined();
  });
});
