import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { analyticsTarget, MANIFEST_FILE, readManifest } from '../../sinks/clickhouse/analytics-store.js';
import { openClickHouse, type ClickHouseTarget } from '../../sinks/clickhouse/clickhouse-connection.js';
import { queryRunReport, type RunReport } from '../../sinks/clickhouse/run-report-query.js';

/**
 * `polyflow report --out <dir> [--json] [--run <name>]`: a run's analytics, computed by SQL from
 * ClickHouse/chDB (where `<dir>/clickhouse.json` says the run went; else the configured server).
 * With --json: one object whose keys are summary.json's where they overlap.
 */
export async function reportCommand(argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, json: { type: 'boolean' }, run: { type: 'string' }, config: { type: 'string' } },
  });
  if (values.out === undefined) throw new InputError('report: give the run folder, e.g. `polyflow report --out out/sample`');
  const outDir = resolve(values.out);
  const manifest = readManifest(outDir);
  const config = loadConfig({ file: values.config });
  let target: ClickHouseTarget;
  if (manifest?.mode === 'embedded') target = { kind: 'embedded', path: manifest.location };
  else target = analyticsTarget(config, outDir);
  // A replay writes clickhouse.json whenever it writes analytics, and removes it when it does not:
  // without it, a chDB folder there is a previous run's, not this one's.
  if (target.kind === 'embedded' && (manifest === undefined || !existsSync(target.path))) {
    throw new InputError(
      `report: no analytics recorded in ${outDir} (${manifest === undefined ? `no ${MANIFEST_FILE}` : `no chDB data at ${target.path}`}): the run was replayed with analytics.mode files or off; replay it with the default (clickhouse), or set CLICKHOUSE_URL to read a server`,
    );
  }
  const run = values.run ?? manifest?.run ?? (config.analytics.run !== '' ? config.analytics.run : basename(outDir));
  const client = openClickHouse(target);
  let report: RunReport;
  try {
    report = await queryRunReport(client, run);
  } finally {
    await client.close();
  }
  write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, target));
  return 0;
}

function formatReport(r: RunReport, target: ClickHouseTarget): string {
  const f = (x: number | null, digits = 4): string => (x === null ? '-' : x.toFixed(digits));
  const rows: [string, string][] = [
    ['run', r.run],
    ['source', target.kind === 'embedded' ? `chDB ${target.path}` : 'ClickHouse server'],
    ['markets', String(r.markets)],
    ['dead letters', String(r.dlq)],
    ['predictions', String(r.predictions)],
    ['signals', `${r.signals.total} (strong ${r.signals.STRONG}, medium ${r.signals.MEDIUM}, weak ${r.signals.WEAK})`],
    ['orders / fills', `${r.orders} / ${r.fills}`],
    ['risk events', String(r.risk_events)],
    ['pnl', `$${r.pnl.toFixed(2)}`],
    ['equity', r.equity === null ? '-' : `$${r.equity.toFixed(2)}`],
    ['max drawdown', `${(r.max_drawdown * 100).toFixed(2)}%`],
    ['win rate', r.win_rate === null ? '-' : `${(r.win_rate * 100).toFixed(1)}% of ${r.settled_positions}`],
    ['sharpe', f(r.sharpe, 2)],
    ['resolved markets', String(r.resolved_markets)],
    ['scored predictions', String(r.scored_predictions)],
    ['brier model / market', `${f(r.brier_model)} / ${f(r.brier_market)}`],
    ['log loss model / market', `${f(r.log_loss_model)} / ${f(r.log_loss_market)}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
