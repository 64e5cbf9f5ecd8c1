/** What a `polyflow history` run asks for; the out directory records it so a resume can tell. */
export interface HistoryQuery {
  /** Keep markets that closed at or after this (epoch ms); none = no lower bound. */
  sinceMs?: number;
  /** Keep markets that closed before this (epoch ms); none = no upper bound. */
  untilMs?: number;
  /** Keep markets whose lifetime volume (USD) is at least this; 0 keeps markets without a volume too. */
  minVolumeUsd: number;
  /** `/prices-history` fidelity, minutes. */
  fidelityMinutes: number;
}

/** A stable text key of the query: a resume continues only a listing made for the same key. */
export function historyQueryKey(q: HistoryQuery): string {
  return JSON.stringify([q.sinceMs ?? null, q.untilMs ?? null, q.minVolumeUsd, q.fidelityMinutes]);
}
