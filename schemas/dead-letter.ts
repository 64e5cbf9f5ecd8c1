/** Topics `dlq.*`: an input that could not be used, with the reason and the raw bytes. */
export interface DeadLetter {
  /** Which stage refused it, e.g. `ingest.market-channel`. */
  readonly source: string;
  readonly reason: string;
  readonly raw: string;
  /** Receive time of the refused input, ms. */
  readonly ts: number;
}
