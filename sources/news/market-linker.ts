/**
 * Links news to markets by keyword and entity match against market questions. A question gives
 * its keywords (words of 3+ letters and numbers of 3+ digits, minus stop words and the words every
 * market question has: "will", "win", "before", "price", month names...) and its entities (words
 * capitalised in mid-sentence: "Trump", "Fed", "Bitcoin", "Lakers"). An article links to a market
 * when it names at least one of the market's entities and shares at least `minShared` keywords
 * with it (or all of them, for questions with fewer). At most `maxMarkets` links per article, the
 * best share first.
 */
import type { MarketId } from '../../schemas/ids.js';

const STOP = new Set(
  (
    'the and for with from that this will won wins win not are was were has have had been its his her their there than then into onto over under ' +
    'about after before above below between during until who what when where which whether how why does did can could would should may might ' +
    'yes any all more most less least other some such only own same very just also per via vs versus out off end ends ending reach reaches hit hits ' +
    'price prices market markets happen happens happened by-the next first last new one two three week month year years day days today ' +
    'january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec ' +
    'monday tuesday wednesday thursday friday saturday sunday say says said make makes get gets become becomes remain remains stay stays ' +
    'called announce announced take takes least most close closes higher lower above more than'
  ).split(' '),
);

interface MarketKeys {
  readonly keywords: ReadonlySet<string>;
  readonly entities: ReadonlySet<string>;
}

export interface MarketLinkerOptions {
  readonly minShared?: number;
  readonly maxMarkets?: number;
}

export class MarketLinker {
  private readonly markets = new Map<MarketId, MarketKeys>();
  /** keyword -> markets having it. */
  private readonly index = new Map<string, Set<MarketId>>();
  private readonly minShared: number;
  private readonly maxMarkets: number;

  constructor(options: MarketLinkerOptions = {}) {
    this.minShared = options.minShared ?? 2;
    this.maxMarkets = options.maxMarkets ?? 10;
  }

  get size(): number {
    return this.markets.size;
  }

  add(market: MarketId, question: string): void {
    this.remove(market);
    const keys = questionKeys(question);
    if (keys.keywords.size === 0) return;
    this.markets.set(market, keys);
    for (const k of keys.keywords) {
      let set = this.index.get(k);
      if (set === undefined) this.index.set(k, (set = new Set()));
      set.add(market);
    }
  }

  remove(market: MarketId): void {
    const keys = this.markets.get(market);
    if (keys === undefined) return;
    this.markets.delete(market);
    for (const k of keys.keywords) {
      const set = this.index.get(k);
      set?.delete(market);
      if (set?.size === 0) this.index.delete(k);
    }
  }

  link(text: string): MarketId[] {
    const words = new Set(tokens(text));
    const shared = new Map<MarketId, number>();
    for (const w of words) for (const m of this.index.get(w) ?? []) shared.set(m, (shared.get(m) ?? 0) + 1);
    const hits: Array<{ market: MarketId; score: number }> = [];
    for (const [market, count] of shared) {
      const keys = this.markets.get(market) as MarketKeys;
      const need = Math.min(this.minShared, keys.keywords.size);
      if (count < need) continue;
      let entity = false;
      for (const e of keys.entities) if (words.has(e)) entity = true;
      if (!entity) continue;
      hits.push({ market, score: count / keys.keywords.size });
    }
    hits.sort((a, b) => b.score - a.score || (a.market < b.market ? -1 : 1));
    return hits.slice(0, this.maxMarkets).map((h) => h.market);
  }
}

/** Keywords and entities of a question. */
export function questionKeys(question: string): MarketKeys {
  const keywords = new Set(tokens(question));
  const entities = new Set<string>();
  const raw = question.match(/[A-Za-z][A-Za-z0-9'.-]*|\d{3,}/g) ?? [];
  raw.forEach((w, i) => {
    const lower = normalise(w);
    if (!keywords.has(lower)) return;
    // Capitalised after the first word (or an acronym / number anywhere): a name.
    if ((i > 0 && /^[A-Z]/.test(w)) || /^[A-Z]{2,}$/.test(w) || /^\d+$/.test(w)) entities.add(lower);
  });
  return { keywords, entities };
}

function tokens(text: string): string[] {
  const out: string[] = [];
  for (const w of text.match(/[A-Za-z][A-Za-z0-9'.-]*|\d{3,}/g) ?? []) {
    const t = normalise(w);
    if (t.length >= 3 && !STOP.has(t)) out.push(t);
  }
  return out;
}

function normalise(word: string): string {
  return word
    .toLowerCase()
    .replace(/'s$/, '')
    .replace(/[.'-]+$/g, '');
}
