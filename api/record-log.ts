/** One page of a list: items in order and the cursor of the next page (null at the end). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface PageQuery {
  readonly limit: number;
  /** Opaque to clients: the sequence number to continue after. */
  readonly cursor?: string | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
}

/**
 * An append-only, bounded log of one topic's records, each with a sequence number that never
 * changes: pages are cut by sequence number (a cursor stays valid while records are appended),
 * and the oldest records are dropped in chunks once `max` is passed.
 */
export class RecordLog<T> {
  private seqs: number[] = [];
  private records: T[] = [];
  private next = 1;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.records.length;
  }

  /** Records appended since the start (including dropped ones). */
  get appended(): number {
    return this.next - 1;
  }

  append(record: T): void {
    this.seqs.push(this.next++);
    this.records.push(record);
    if (this.records.length > this.max) {
      const drop = Math.max(this.records.length - this.max, Math.ceil(this.max / 16));
      this.seqs = this.seqs.slice(drop);
      this.records = this.records.slice(drop);
    }
  }

  last(): T | undefined {
    return this.records[this.records.length - 1];
  }

  all(): readonly T[] {
    return this.records;
  }

  /** The records passing `keep`, one page of them, after (asc) or before (desc) the cursor. */
  page(q: PageQuery, keep: (record: T) => boolean = () => true): Page<T> {
    const after = q.cursor === undefined ? undefined : Number(q.cursor);
    const items: T[] = [];
    const desc = q.order === 'desc';
    const n = this.records.length;
    let lastSeq = -1;
    let more = false;
    for (let k = 0; k < n; k++) {
      const i = desc ? n - 1 - k : k;
      const seq = this.seqs[i]!;
      if (after !== undefined && (desc ? seq >= after : seq <= after)) continue;
      const record = this.records[i]!;
      if (!keep(record)) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(record);
      lastSeq = seq;
    }
    return { items, nextCursor: more ? String(lastSeq) : null };
  }
}
