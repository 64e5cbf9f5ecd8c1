// A child process of `bench:kafka` that runs one case's Kafka passes (`--kafka-pass-mode processes`):
// its heap holds the pipeline and its state only, as a `polyflow run <pipeline>` process's does,
// not the bench's recording and derived records (0.9-1.1 GB on a 300,000-frame recording), whose
// major GCs otherwise run inside the passes. It gets a `PassJob` over IPC and answers `PassReply`.
import { loadDriftReference } from '../../models/drift-reference.js';
import { loadScorer } from '../../models/load-scorer.js';
import { createLogger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { kafkaPasses, type KafkaPass } from './kafka-pass.js';
import type { PassJob, PassReply } from './pass-runner.js';

async function runJob(job: PassJob): Promise<KafkaPass[]> {
  const { config } = job.case;
  const scorer = job.case.pipeline === 'predict' ? await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC) : undefined;
  const driftReference = job.case.pipeline === 'drift' ? await loadDriftReference(fromPackageRoot(config.scoring.modelPath)) : undefined;
  return kafkaPasses({ ...job.case, scorer, driftReference }, job.passes, { prefix: job.prefix, pre: job.pre, scratch: job.scratch, logger: createLogger(job.logLevel) });
}

const reply = (message: PassReply): void => {
  // Exits once the reply is out: a client library's timers must not keep a finished child alive.
  process.send?.(message, () => process.exit(0));
};

// A bench that died leaves no pass process behind.
process.once('disconnect', () => process.exit(1));
process.once('message', (job: PassJob) => {
  runJob(job).then(
    (passes) => reply({ passes }),
    (err: unknown) => reply({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
