// The command line of `npm run bench:kafka`: its usage text and the parsed, validated options.
import { parseArgs } from 'node:util';
import type { LatencyCase, LatencyMode } from './latency-cases.js';
import type { KafkaPassMode } from './pass-runner.js';
import { STAGES, type Stage } from './origin-clock.js';

export const USAGE = `usage: node dist/bench/kafka-bench.js [options]
  --events <n>        frames in the generated recording (default 40000)
  --markets <n>       markets in it (default events/1000, at least 20)
  --pipelines <list>  throughput cases: features,predict,trade,drift,persist,watch (default all; "" for none)
  --max-input <n>     input records per throughput case, from the start of its input (default 25000:
                      the mock cluster keeps only ~5 MB per partition, so more is deleted before it is read)
  --passes <n>        memory-bus passes after a warm-up (default 3)
  --kafka-passes <n>  Kafka passes per case: fresh consumer groups over one pre-produced input (default 7;
                      the median is reported: passes of one run vary up to 2.5x on this 2-core machine, up to
                      4x with --kafka-pass-mode in-process on a large recording)
  --kafka-pass-mode <m>
                      processes (default): each case's Kafka passes in a child process of their own, whose heap
                      holds only the pipeline, as a \`polyflow run\` process's does; in-process: in this
                      process, whose heap also holds the recording and every derived record
  --rate <n>          latency runs: input records/s (default 200: about twice the event rate of the
                      recorded reference stream; raise it to find where the Kafka path falls behind)
  --seconds <n>       latency runs: measured seconds after the warm-up (default 30: about 130 fills, so that
                      their p99, by nearest rank, is the second slowest; under 100 it is the slowest)
  --warmup <n>        latency runs: seconds published first and not measured (default 8: the pipeline
                      processes and the reader take 3-7 s on this machine to work off their start)
  --latency <list>    latency cases fetchMaxWaitMs:scoringMaxWaitMs[:progressIntervalMs[:progressPromptMs]]
                      (default 50:1000,50:0,5:0,5:0:100:5,5:0:0; the marker interval and spacing are the
                      config's, 100 and 20, unless given; 5:0:100:5 is the low-latency profile's; interval
                      0: no markers, trade acts on arrival; "" for none)
  --stages <list>     latency runs: the outputs this process's reader measures (default
                      features.v1,prediction.v1,fill.v1; fill.v1 alone keeps the reader's own fetches off
                      the busiest topic: on the mock, one batch per partition per fetch, it fell behind
                      features.v1 at 10-20 ms markers, and its hop is part of every stage's figure)
  --latency-mode <m>  processes (default): \`polyflow run\` children; in-process: each pipeline on its own
                      KafkaBus and consumer group inside this process
  --json <file>       results (default out/bench/kafka.json)
  --profile <dir>     CPU-profile each case's first Kafka pass: .cpuprofile files and self time per component
  --log <level>       log level of this process's Kafka buses, of the pass processes and of the pipeline processes
                      (default silent)`;

export interface KafkaBenchOptions {
  readonly help: boolean;
  readonly events: number;
  readonly markets: number;
  /** Throughput cases by pipeline name, checked when the cases are built. */
  readonly pipelines: readonly string[];
  readonly passes: number;
  readonly kafkaPasses: number;
  readonly maxInput: number;
  readonly kafkaPassMode: KafkaPassMode;
  readonly rate: number;
  readonly seconds: number;
  readonly warmup: number;
  /** Raw `--latency`: parsed by `parseLatencyCases` only when the bench runs, so `--help` never fails on it. */
  readonly latency: string;
  readonly latencyMode: LatencyMode;
  /** The stage topics the latency reader measures. */
  readonly stages: readonly Stage[];
  readonly json: string;
  readonly profile: string | undefined;
  readonly log: string;
}

const positive = (name: string, raw: string): number => {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name}: expected a positive number, got "${raw}"\n${USAGE}`);
  return n;
};

const list = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter((s) => s !== '');

export function parseOptions(argv: readonly string[]): KafkaBenchOptions {
  const args = parseArgs({
    args: [...argv],
    options: {
      events: { type: 'string', default: '40000' },
      markets: { type: 'string' },
      pipelines: { type: 'string', default: 'features,predict,trade,drift,persist,watch' },
      passes: { type: 'string', default: '3' },
      'kafka-passes': { type: 'string', default: '7' },
      'max-input': { type: 'string', default: '25000' },
      'kafka-pass-mode': { type: 'string', default: 'processes' },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '8' },
      latency: { type: 'string', default: '50:1000,50:0,5:0,5:0:100:5,5:0:0' },
      'latency-mode': { type: 'string', default: 'processes' },
      stages: { type: 'string', default: STAGES.join(',') },
      json: { type: 'string', default: 'out/bench/kafka.json' },
      profile: { type: 'string' },
      log: { type: 'string', default: 'silent' },
      help: { type: 'boolean', default: false },
    },
  }).values;
  const events = positive('events', args.events);
  const markets = args.markets === undefined ? Math.max(20, Math.round(events / 1_000)) : positive('markets', args.markets);
  const passes = positive('passes', args.passes);
  const kafkaPasses = positive('kafka-passes', args['kafka-passes']);
  const maxInput = positive('max-input', args['max-input']);
  const rate = positive('rate', args.rate);
  const seconds = positive('seconds', args.seconds);
  const warmup = Number(args.warmup);
  if (!(warmup >= 0)) throw new Error(`--warmup: expected seconds >= 0, got "${args.warmup}"\n${USAGE}`);
  const kafkaPassMode = args['kafka-pass-mode'];
  if (kafkaPassMode !== 'processes' && kafkaPassMode !== 'in-process') throw new Error(`--kafka-pass-mode: processes or in-process, not "${kafkaPassMode}"\n${USAGE}`);
  const stages = list(args.stages);
  const unknown = stages.filter((s) => !(STAGES as readonly string[]).includes(s));
  if (stages.length === 0 || unknown.length > 0) throw new Error(`--stages: some of ${STAGES.join(', ')}, not "${args.stages}"\n${USAGE}`);
  const latencyMode = args['latency-mode'];
  if (latencyMode !== 'processes' && latencyMode !== 'in-process') throw new Error(`--latency-mode: processes or in-process, not "${latencyMode}"\n${USAGE}`);
  return {
    help: args.help,
    events,
    markets,
    pipelines: list(args.pipelines),
    passes,
    kafkaPasses,
    maxInput,
    kafkaPassMode,
    rate,
    seconds,
    warmup,
    latency: args.latency,
    latencyMode,
    stages: stages as Stage[],
    json: args.json,
    profile: args.profile,
    log: args.log,
  };
}

export function parseLatencyCases(raw: string): LatencyCase[] {
  return list(raw).map((spec) => {
    const parts = spec.split(':');
    const [fetch, score, markers, prompt] = parts.map(Number);
    const count = (n: number | undefined): boolean => n === undefined || (Number.isInteger(n) && n >= 0);
    const valid = parts.length <= 4 && !parts.includes('') && fetch !== undefined && score !== undefined && fetch > 0 && score >= 0 && count(markers) && count(prompt);
    if (!valid) throw new Error(`--latency: expected fetchMaxWaitMs:scoringMaxWaitMs[:progressIntervalMs[:progressPromptMs]] cases, got "${spec}"\n${USAGE}`);
    return { fetchWaitMs: fetch, scoreWaitMs: score, markersMs: markers, promptMs: prompt };
  });
}
