import type { Observable, Subscription } from 'rxjs';
import { parseMarketFrame, type MarketFrameSink } from '../sources/polymarket/market-channel.js';
import { parseGammaMarket } from '../sources/polymarket/gamma-market.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import type { Bus } from '../runtime/bus.js';
import type { PipelineMetrics } from '../runtime/metrics.js';

/** The key of every `pm.market.raw` record: the frames of all connections, in one partition, in the order this process received them. */
export const RAW_FRAMES_KEY = 'market-channel';

/**
 * A market-channel frame as received, to `pm.market.raw` (DESIGN §1), before ingest parses it: live
 * ingest's frames, and a recording's when `run ingest --replay` stands in for it. Other records
 * (Gamma markets, invalid lines) are not frames: nothing is published for them.
 */
export function publishRawFrame(bus: Bus, record: ReplayRecord): void {
  if (record.kind === 'frame') bus.publish('pm.market.raw', RAW_FRAMES_KEY, { recvTs: record.recvTs, payload: record.frame });
}

/**
 * ingest: market-channel frames and Gamma market records -> `pm.book`, `pm.trade`,
 * `pm.resolution`, `pm.market.meta`, and `dlq.ingest` for anything that fails validation.
 * The records come from the live websocket/REST clients or from a recording; this file does
 * not know which.
 */
export function ingestPipeline(records$: Observable<ReplayRecord>, bus: Bus, metrics: PipelineMetrics): Subscription {
  const sink: MarketFrameSink = {
    book: (u) => bus.publish('pm.book', u.assetId, u),
    trade: (t) => bus.publish('pm.trade', t.assetId, t),
    resolution: (r) => bus.publish('pm.resolution', r.market, r),
    deadLetter: (d) => {
      metrics.deadLetters.labels(d.source).inc();
      bus.publish('dlq.ingest', d.source, d);
    },
  };
  return records$.subscribe((record) => {
    if (record.kind === 'frame') {
      parseMarketFrame(record.frame, record.recvTs, sink);
      return;
    }
    if (record.kind === 'invalid') {
      sink.deadLetter({ source: 'ingest.recording', reason: record.reason, raw: record.raw, ts: record.recvTs });
      return;
    }
    const parsed = parseGammaMarket(record.market, record.recvTs);
    if (parsed.ok) bus.publish('pm.market.meta', parsed.meta.market, parsed.meta);
    else sink.deadLetter({ source: 'ingest.gamma-market', reason: parsed.reason, raw: JSON.stringify(record.market), ts: record.recvTs });
  });
}
