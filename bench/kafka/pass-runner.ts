// Where a case's Kafka passes run: in a child process of their own (the default), or in the bench's
// process (`--kafka-pass-mode in-process`), whose heap holds the recording and every derived record.
import { fork } from 'node:child_process';
import type { Logger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import type { TopicName } from '../../schemas/topics.js';
import { kafkaPasses, type KafkaPass, type KafkaPassInput } from './kafka-pass.js';
import type { PipelineCase } from './pipeline-case.js';

export type KafkaPassMode = 'processes' | 'in-process';

/** A case's passes, as sent to the child: plain data only (the child loads the case's scorer or drift reference from its config). */
export interface PassJob {
  readonly case: Omit<PipelineCase, 'scorer' | 'driftReference'>;
  /** Each pass's config (its own consumer groups) and profile file. */
  readonly passes: ReadonlyArray<Pick<KafkaPassInput, 'config' | 'profileFile'>>;
  readonly prefix: string;
  readonly pre: ReadonlyMap<TopicName, number>;
  readonly scratch: string;
  readonly logLevel: string;
}

export type PassReply = { readonly passes: KafkaPass[] } | { readonly error: string };

// The built file, also when this module runs from source (under vitest).
const CHILD = fromPackageRoot('dist/bench/kafka/pass-child.js');

export async function runKafkaPasses(mode: KafkaPassMode, c: PipelineCase, job: Omit<PassJob, 'case'>, logger: Logger): Promise<KafkaPass[]> {
  if (mode === 'processes') return inChild({ ...job, case: { name: c.name, pipeline: c.pipeline, config: c.config } });
  return kafkaPasses(c, job.passes, { prefix: job.prefix, pre: job.pre, scratch: job.scratch, logger });
}

/**
 * Forks the child with this process's node flags and environment (NODE_OPTIONS included). Settles on
 * its answer; a child that closes without one, or a job it could not be sent, rejects (and the child
 * is killed).
 */
function inChild(job: PassJob): Promise<KafkaPass[]> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      child.kill();
      reject(err);
    };
    child.once('message', (answer: PassReply) => {
      if ('error' in answer) fail(new Error(`${job.case.name}: in the pass process: ${answer.error}`));
      else {
        settled = true;
        resolve(answer.passes);
      }
    });
    child.once('error', fail);
    child.once('close', (code, signal) => fail(new Error(`${job.case.name}: the pass process exited (${signal ?? `code ${String(code)}`}) without an answer`)));
    try {
      child.send(job);
    } catch (err) {
      fail(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
