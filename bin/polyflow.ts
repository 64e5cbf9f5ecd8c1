#!/usr/bin/env node
// The `polyflow` CLI: one sub-command per job; each lives in bin/commands/.
import { PolyflowError } from '../runtime/errors.js';
import { commandUsage, isArgumentError } from './command-usage.js';

const USAGE = `polyflow <command> [options]

Commands:
  replay <path> [--out <dir>] [--config <file>] [--metrics <file>] [--no-progress] [--bus memory|kafka] [--kafka-chunk <n>] [--fetch-order]
         [--state off|pglite|postgres] [--state-url <url>] [--checkpoint-every <n>] [--fresh] [--analytics clickhouse|files|off]
        Run the whole pipeline over a recording (a directory with markets.jsonl and
        market-ws-*.log[.gz], or one .log file) as fast as possible; print a summary and
        write every output topic as JSONL plus summary.json into --out (default out/<name>);
        --metrics writes the run's Prometheus metrics (text format) to a file.
        --state (default pglite: <out>/pglite; postgres: --state-url) keeps the account rows and
        checkpoints in Postgres: a killed run started again with the same --out and config resumes
        from its last checkpoint; after a finished run, the next one starts over and replaces it
        (--fresh: always from scratch). --analytics (default clickhouse: chDB in <out>/chdb, or
        CLICKHOUSE_URL) writes the analytics that "polyflow report --out <dir>" reads; off/files: none.
        --bus kafka: every pipeline in this process talks through the broker (KAFKA_BROKERS), topics
        prefixed per run, records emitted in publish order (--fetch-order: in fetch order); input fed
        --kafka-chunk records at a time (default 1: identical outputs to the memory bus; more: faster);
        analytics as above, no --state (refused).
        --bus defaults to the config's bus.kind (env POLYFLOW_BUS_KIND, default memory).
  live [--out <dir>] [--duration <s>] [--record <dir>] [--api] [--config <file>]
        Run the whole graph on live Polymarket data (real clock) until Ctrl-C or --duration;
        write the output topics plus pm.wallet.trade and news.item as JSONL into --out (default out/live).
  run ingest|watch|alerts [--out <dir>] [--duration <s>] [--record <dir>] [--api] [--config <file>]
        Live ingest alone (pm.market.meta, pm.book, pm.trade, pm.resolution, pm.wallet.trade,
        news.item, risk.event, dlq.ingest as JSONL into --out), or ingest + the watchers
        (arbitrage.v1, whale.v1), or ingest + the graph with webhook alerts; --api serves the HTTP
        API inside the run. With POLYFLOW_BUS_KIND=kafka: ingest publishes those topics to Kafka
        (JSONL only with --out), watch and alerts run alone as consumer groups like the ones below.
  run ingest --replay <recording> [--speed <x>] [--metrics <file>] [--config <file>]
        With POLYFLOW_BUS_KIND=kafka: publish a recording's ingest to Kafka as live ingest would
        (stamped, progress-marked in recorded time) and exit once the broker has it all; start
        it before the consumer groups (--from-beginning) to run the deployment on recorded data.
        --speed: at the recorded pace, x times faster (1: as recorded); SIGINT/SIGTERM stops it.
  run features|predict|trade|drift|persist [--from-beginning] [--duration <s>] [--metrics <file>] [--out <dir>] [--config <file>]
        One pipeline as a Kafka consumer group <kafka.groupIdPrefix>.<pipeline> (KAFKA_BROKERS); persist
        writes the output topics as JSONL into --out; drift monitors the model (scoring.modelPath's
        drift reference) and writes its model_drift breaker to risk.event. Prints "ready <pipeline>" once joined.
  api --out <dir> [--host <h>] [--port <n>] [--state pglite|postgres] [--state-url <url>] [--config <file>]
        The HTTP API (OpenAPI at /docs) over a finished run: its JSONL topics, summary.json or
        ClickHouse figures, and settings.
  record --out <dir> [--duration <s>] [--config <file>]
        Record the live market channel, Gamma markets and resolutions as a recording
        \`polyflow replay\` reads (rotating market-ws-NNNN.log.gz + markets.jsonl).
  report --out <dir> [--json] [--run <name>] [--config <file>]
        Print a run's analytics computed by SQL from ClickHouse/chDB (figures as in summary.json).
  simulate --out <dir> [--markets <n>] [--events <n>] [--seed <n>] [--hours <n>]
           [--malformed-rate <r>] [--gzip]
        Write a simulated market-channel recording in Polymarket's wire format.
  history --out <dir> [--since <date>] [--until <date>] [--min-volume <usd>] [--fidelity <min>]
        Collect resolved markets (Gamma) and their price series (CLOB) into markets.jsonl +
        prices.jsonl, resumably (the layout of ../shared/data/polymarket/<source>/).
  dataset --data <source dir> --out <file.csv> [--max-markets N]
        Point-in-time rows (the live feature operators) at horizons before resolution, labelled
        by outcome, forward split by event.
  train --data <dataset.csv> [--data ...] --out <dir> [--model-version V] [--quick] [--python P]
        XGBoost + HistGB + MLP + text model, stacked and calibrated out of fold, exported to
        ONNX; writes manifest.json + card.json.
  evaluate --data <source dir|dataset.csv> [--model <manifest.json|model.onnx>] [--out <dir>]
           [--split holdout|all] [--categories a,b] [--half-spread 0.005] [--stake 100]
           [--seed 1] [--bootstrap 2000] [--json]
        Model vs market: Brier, log loss, calibration/ECE by horizon, category and source,
        event-bootstrap CI, fee-aware backtest, SVG plots.
  retrain [--data <source dir> ...] [--out <dir>] [--work <dir>] [--registry <file>]
          [--every <hours>] [--quick]
        dataset -> train -> evaluate -> edge gate + drift reference + registry row.
  fit-baseline [--data <dir>] [--work <dir>]
        Refit the shipped baseline model from ../shared/data/polymarket (MLB order books).
  settings list | get <key> | set <key> <json> | unset <key> [--state pglite|postgres] [--state-url <url>] [--state-dir <dir>]
        Settings kept in the state store (Postgres or embedded PGlite), validated against the
        config schema and applied over file and env config by the next run (state.* excluded).
  topics [--check] [--config <file>]
        Create the Kafka topics and their dead-letter topics dlq.<topic> (partitions, retention;
        pm.market.meta compacted) and verify them through metadata; --check only verifies. Exit 2
        when the broker cannot create topics.
  schemas check [--against <git ref>] [--dir <dir>] [--level backward|forward|full]
        Check schemas/*.avsc for backward (default), forward or full compatibility: against
        SCHEMA_REGISTRY_URL's latest versions when set, else against the committed version (git
        <ref>, default HEAD) with avsc.
  config [--config <file>] [--replay]
        Print the effective configuration (defaults + file + env), secrets redacted; --replay: as
        a replay sees it (its defaults: state pglite, analytics clickhouse).

Environment: POLYFLOW_CONFIG=<file>, POLYFLOW_<SECTION>_<FIELD>=<json> (e.g. POLYFLOW_RISK_KELLY_FRACTION=0.1);
live endpoints POLYMARKET_WS_URL, POLYMARKET_GAMMA_URL, POLYMARKET_CLOB_URL, POLYMARKET_DATA_URL; NEWSAPI_KEY;
POLYFLOW_API_TOKEN (bearer token for the API's mutating routes); KAFKA_BROKERS=<host:port,...>, SCHEMA_REGISTRY_URL.`;

/** Each command's module, loaded when it runs: `--help` and small commands start without the others' dependencies. */
const commands: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  replay: () => import('./commands/replay.js').then((m) => m.replayCommand),
  report: () => import('./commands/report.js').then((m) => m.reportCommand),
  simulate: () => import('./commands/simulate.js').then((m) => m.simulateCommand),
  'fit-baseline': () => import('./commands/fit-baseline.js').then((m) => m.fitBaselineCommand),
  history: () => import('./commands/history.js').then((m) => m.historyCommand),
  dataset: () => import('./commands/dataset.js').then((m) => m.datasetCommand),
  train: () => import('./commands/train.js').then((m) => m.trainCommand),
  evaluate: () => import('./commands/evaluate.js').then((m) => m.evaluateCommand),
  retrain: () => import('./commands/retrain.js').then((m) => m.retrainCommand),
  live: () => import('./commands/live.js').then((m) => m.liveCommand),
  run: () => import('./commands/run.js').then((m) => m.runCommand),
  record: () => import('./commands/record.js').then((m) => m.recordCommand),
  config: () => import('./commands/config.js').then((m) => m.configCommand),
  api: () => import('./commands/api.js').then((m) => m.apiCommand),
  settings: () => import('./commands/settings.js').then((m) => m.settingsCommand),
  topics: () => import('./commands/topics.js').then((m) => m.topicsCommand),
  schemas: () => import('./commands/schemas.js').then((m) => m.schemasCommand),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`polyflow: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  // Options come before a `--`; what follows it is positional.
  const end = rest.indexOf('--');
  const options = end === -1 ? rest : rest.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(`${commandUsage(USAGE, name) ?? USAGE}\n`);
    return 0;
  }
  const run = await command();
  try {
    return await run(rest);
  } catch (err) {
    if (!isArgumentError(err)) throw err;
    // An unknown option, a missing value: the command's usage, not a stack.
    process.stderr.write(`polyflow ${name}: ${err.message}\n\n${commandUsage(USAGE, name) ?? USAGE}\n`);
    return 2;
  }
}

/**
 * How long a finished command may take to exit on its own: a client library that left a retry
 * timer or socket behind (kafkajs rejoining a group it could not join) would keep the process up.
 */
const EXIT_DEADLINE_MS = 5_000;

main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // Known errors get one clear line; anything else is a bug and keeps its stack.
      if (err instanceof PolyflowError) process.stderr.write(`polyflow: ${err.message}\n`);
      else process.stderr.write(`polyflow: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  )
  .finally(() => setTimeout(() => process.exit(), EXIT_DEADLINE_MS).unref());
