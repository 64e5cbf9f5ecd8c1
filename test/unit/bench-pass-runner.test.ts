// The child process of bench:kafka's throughput passes answers over IPC and exits; a failure in it
// (here: a model that cannot be loaded) rejects with the child's own error. The child is the built
// file (npm test builds it).
import { describe, expect, it } from 'vitest';
import { runKafkaPasses } from '../../bench/kafka/pass-runner.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';

const logger = createLogger('silent');
const job = { passes: [], prefix: 'unused.', pre: new Map(), scratch: '/nonexistent', logLevel: 'silent' };

describe('runKafkaPasses in a child process', () => {
  it('returns what the child ran: no passes asked, none run', async () => {
    const config = loadConfig({ env: {} });
    await expect(runKafkaPasses('processes', { name: 'features', pipeline: 'features', config }, job, logger)).resolves.toEqual([]);
  });

  it('rejects a job that cannot be sent to the child (a function in it)', async () => {
    const config = loadConfig({ env: {} });
    const unsendable = { ...job, pre: new Map([['pm.book', () => 1]]) } as unknown as typeof job;
    await expect(runKafkaPasses('processes', { name: 'features', pipeline: 'features', config }, unsendable, logger)).rejects.toThrow(/could not be cloned/);
  });

  it("rejects with the child's error, naming the case", async () => {
    const config = loadConfig({ env: {}, overrides: { scoring: { modelPath: 'models/artifacts/no-such-model.onnx' } } });
    const failed = runKafkaPasses('processes', { name: 'predict (missing model)', pipeline: 'predict', config }, job, logger);
    await expect(failed).rejects.toThrow(/predict \(missing model\): in the pass process: .*no-such-model/s);
  });
});
