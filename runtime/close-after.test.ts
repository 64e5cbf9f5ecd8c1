import { describe, expect, it, vi } from 'vitest';
import { closeAfter, closeEach } from './close-after.js';

const logger = () => ({ warn: vi.fn() });
/** Work that fails with `message`. */
const failing = (message: string) => async (): Promise<never> => {
  throw new Error(message);
};

describe('closeAfter', () => {
  it('returns what the work gave once it closed', async () => {
    const log = logger();
    const close = vi.fn();
    await expect(closeAfter(async () => 42, close, log, 'job')).resolves.toBe(42);
    expect(close).toHaveBeenCalledTimes(1);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it("throws the work's own error when closing after it fails too, and logs the close failure", async () => {
    const log = logger();
    const close = vi.fn(async () => {
      throw new Error('close failed');
    });
    await expect(closeAfter(failing('disk full'), close, log, 'job')).rejects.toThrow('disk full');
    expect(close).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[0]).toMatchObject({ err: { message: 'close failed' } });
    expect(log.warn.mock.calls[0]?.[1]).toMatch(/^job: could not close/);
  });

  it('closes after a failed work and throws its error', async () => {
    const log = logger();
    const close = vi.fn();
    await expect(closeAfter(failing('bad input'), close, log, 'job')).rejects.toThrow('bad input');
    expect(close).toHaveBeenCalledTimes(1);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('throws the close failure when the work succeeded', async () => {
    const close = vi.fn(() => {
      throw new Error('flush failed');
    });
    await expect(closeAfter(async () => 'done', close, logger(), 'job')).rejects.toThrow('flush failed');
  });
});

describe('closeEach', () => {
  it('runs every step though earlier ones fail, throws the first failure and logs the later ones', async () => {
    const log = logger();
    const ran: string[] = [];
    const failingStep = (name: string) => () => {
      ran.push(name);
      throw new Error(`${name} failed`);
    };
    await expect(closeEach([failingStep('consumer'), () => void ran.push('tables'), failingStep('admin'), async () => void ran.push('producer')], log, 'bus')).rejects.toThrow('consumer failed');
    expect(ran).toEqual(['consumer', 'tables', 'admin', 'producer']);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[0]).toMatchObject({ err: { message: 'admin failed' } });
  });

  it('resolves when every step did', async () => {
    const ran: number[] = [];
    await closeEach([() => void ran.push(1), async () => void ran.push(2)], undefined, 'bus');
    expect(ran).toEqual([1, 2]);
  });
});

