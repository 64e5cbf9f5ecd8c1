import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from './run.js';

// What `polyflow run` refuses before it starts anything (no broker, no Polymarket needed).
afterEach(() => void vi.unstubAllEnvs());

describe('polyflow run: arguments', () => {
  it('names the pipelines when the one given is unknown', async () => {
    await expect(runCommand(['ingset'])).rejects.toThrow(/unknown or missing pipeline "ingset"; available: ingest, watch, alerts .*features, predict, trade, drift, persist/);
  });

  it('refuses what needs live ingest or the embedded API in the process when the bus is Kafka', async () => {
    vi.stubEnv('POLYFLOW_BUS_KIND', 'kafka');
    await expect(runCommand(['watch', '--api'])).rejects.toThrow(/--api is available with `run watch` on the memory bus.*bus\.kind is kafka/);
    await expect(runCommand(['watch', '--record', 'rec'])).rejects.toThrow(/run watch: --record needs live ingest in this process \(`run ingest`\)/);
    await expect(runCommand(['trade', '--record', 'rec'])).rejects.toThrow(/--record needs live ingest/);
  });

  it('takes --speed only as a positive number, and only to pace `run ingest --replay`', async () => {
    vi.stubEnv('POLYFLOW_BUS_KIND', 'kafka');
    await expect(runCommand(['ingest', '--replay', 'rec', '--speed', '0'])).rejects.toThrow(/--speed must be a positive number \(1: as recorded, 10: ten times faster\), got "0"/);
    await expect(runCommand(['ingest', '--replay', 'rec', '--speed', 'fast'])).rejects.toThrow(/--speed must be a positive number/);
    await expect(runCommand(['features', '--speed', '2'])).rejects.toThrow(/run features: --speed paces `run ingest --replay`/);
  });

  it('refuses alerts without targets on either bus', async () => {
    vi.stubEnv('POLYFLOW_ALERTS_TARGETS', '[]');
    await expect(runCommand(['alerts'])).rejects.toThrow(/no alert targets configured/);
    vi.stubEnv('POLYFLOW_BUS_KIND', 'kafka');
    await expect(runCommand(['alerts'])).rejects.toThrow(/no alert targets configured/);
  });
});
