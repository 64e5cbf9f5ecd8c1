/**
 * The files of one history directory and the rules that make a run resumable without duplicates:
 * markets.jsonl, prices.jsonl and skipped.jsonl are only appended to; a market's price lines are
 * written before its market line, so the market line is the commit record. On open, a cut-short
 * last line is dropped and price lines of a market with no market line (a run stopped between the
 * two writes) are cut off the end of prices.jsonl. The completed set (market ids, token ids, skip
 * keys) is read back from the files themselves; collect-state.json only holds where the Gamma
 * listing stood and the working /prices-history chunk size.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../runtime/errors.js';
import type { MarketLine, PriceLine, SkipLine } from './history-records.js';
import { jsonlLines } from './jsonl-lines.js';

export const HISTORY_FILES = {
  markets: 'markets.jsonl',
  prices: 'prices.jsonl',
  skipped: 'skipped.jsonl',
  manifest: 'manifest.json',
  source: 'SOURCE.md',
  state: 'collect-state.json',
  pending: 'collect-pending.jsonl',
} as const;

export interface CollectRun {
  started_at: string;
  finished_at: string | null;
  appended_markets: number;
}

export interface CollectState {
  version: 1;
  /** Fixed for a directory: prices.jsonl never mixes fidelities. */
  fidelity_minutes: number;
  /** The query the listing below belongs to. */
  query_key: string | null;
  /** `after_cursor` of the next Gamma page to read; null = from the start. */
  cursor: string | null;
  pages: number;
  /** The listing reached its last page; collect-pending.jsonl holds every candidate. */
  listing_done: boolean;
  /** A /prices-history range length the server accepted ("interval is too long" halves it). */
  chunk_seconds: number | null;
  runs: CollectRun[];
}

/** A market that passed the checks made on its Gamma record, waiting for its price series. */
export interface PendingMarket {
  line: MarketLine;
  start_ms: number;
  close_ms: number;
}

export interface OpenReport {
  /** Bytes cut off the end of files (a run stopped mid-write). */
  truncatedBytes: number;
}

export class HistoryDirectory {
  readonly keptIds = new Set<string>();
  readonly keptTokens = new Set<string>();
  private readonly skipKeys = new Set<string>();

  constructor(readonly dir: string) {}

  path(name: keyof typeof HISTORY_FILES): string {
    return join(this.dir, HISTORY_FILES[name]);
  }

  /** Creates the directory if needed, repairs an interrupted tail and loads the completed set. */
  open(): OpenReport {
    mkdirSync(this.dir, { recursive: true });
    let truncatedBytes = 0;
    truncatedBytes += this.scan('markets', (text) => {
      const line = JSON.parse(text) as MarketLine;
      this.keptIds.add(line.market_id);
      for (const token of line.token_ids) this.keptTokens.add(token);
    });
    let orphanAt: number | undefined;
    truncatedBytes += this.scan('prices', (text, offset) => {
      const marketId = (JSON.parse(text) as PriceLine).market_id;
      if (this.keptIds.has(marketId)) {
        if (orphanAt !== undefined) {
          throw new InputError(`${this.path('prices')}: price lines of unfinished market(s) at byte ${orphanAt} are followed by finished ones; the file was edited, refusing to cut it`);
        }
        return;
      }
      orphanAt ??= offset;
    });
    if (orphanAt !== undefined) {
      truncatedBytes += statSync(this.path('prices')).size - orphanAt;
      truncateSync(this.path('prices'), orphanAt);
    }
    truncatedBytes += this.scan('skipped', (text) => {
      const skip = JSON.parse(text) as SkipLine;
      this.skipKeys.add(skipKey(skip));
    });
    return { truncatedBytes };
  }

  /** Price lines first, then the market line that commits them. */
  appendMarket(line: MarketLine, prices: readonly PriceLine[]): void {
    if (this.keptIds.has(line.market_id)) throw new InputError(`market ${line.market_id} is already in ${this.path('markets')}`);
    if (prices.length > 0) appendFileSync(this.path('prices'), prices.map((p) => `${JSON.stringify(p)}\n`).join(''));
    appendFileSync(this.path('markets'), `${JSON.stringify(line)}\n`);
    this.keptIds.add(line.market_id);
    for (const token of line.token_ids) this.keptTokens.add(token);
  }

  /** Appends a skip unless the same market was already skipped for the same reason; true if written. */
  appendSkip(skip: SkipLine): boolean {
    const key = skipKey(skip);
    if (this.skipKeys.has(key)) return false;
    appendFileSync(this.path('skipped'), `${JSON.stringify(skip)}\n`);
    this.skipKeys.add(key);
    return true;
  }

  appendPending(markets: readonly PendingMarket[]): void {
    if (markets.length > 0) appendFileSync(this.path('pending'), markets.map((m) => `${JSON.stringify(m)}\n`).join(''));
  }

  /** Pending markets in listing order, each id once (a page read again after a stop repeats lines). */
  *pending(): Generator<PendingMarket> {
    const seen = new Set<string>();
    for (const { text, complete } of jsonlLines(this.path('pending'))) {
      if (!complete) break;
      const m = JSON.parse(text) as PendingMarket;
      if (seen.has(m.line.market_id)) continue;
      seen.add(m.line.market_id);
      yield m;
    }
  }

  clearPending(): void {
    rmSync(this.path('pending'), { force: true });
  }

  readState(): CollectState | undefined {
    if (!existsSync(this.path('state'))) return undefined;
    return JSON.parse(readFileSync(this.path('state'), 'utf8')) as CollectState;
  }

  /** Written whole to a temporary file and renamed, so a stop never leaves half a state. */
  writeState(state: CollectState): void {
    const tmp = `${this.path('state')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.path('state'));
  }

  /** Reads every complete line; cuts a final line without newline. Returns the bytes cut. */
  private scan(name: 'markets' | 'prices' | 'skipped', onLine: (text: string, offset: number) => void): number {
    const path = this.path(name);
    for (const { text, offset, complete } of jsonlLines(path)) {
      if (!complete) {
        const cut = statSync(path).size - offset;
        truncateSync(path, offset);
        return cut;
      }
      try {
        onLine(text, offset);
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(`${path}: unreadable line at byte ${offset}`, err);
      }
    }
    return 0;
  }
}

function skipKey(skip: SkipLine): string {
  return `${skip.market_id}\t${skip.reason}`;
}
