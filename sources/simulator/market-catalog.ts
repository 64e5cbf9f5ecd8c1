/**
 * The simulated universe: events (single markets or threshold ladders of siblings), their questions,
 * ids in Polymarket's formats (77-digit token ids, 0x+64-hex condition ids), categories, tick sizes,
 * resolution times and starting prices, and the Gamma market objects written to markets.jsonl
 * (pre-close fields only: no volume, no final prices).
 */
import { HOURLY_LOGIT_VOL_MEDIAN, HOURLY_LOGIT_VOL_SIGMA, START_PRICE_QUANTILES, FINE_TICK_BOUNDS } from './calibration.js';
import { PROBIT_TO_LOGIT } from './market-model.js';
import type { Prng } from './prng.js';

export const CATEGORIES = ['politics', 'sports', 'crypto', 'economics', 'geopolitics', 'culture'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface SimMarket {
  readonly index: number;
  readonly eventIndex: number;
  /** Position within the event's threshold ladder (0 = highest probability). */
  readonly rank: number;
  readonly gammaId: string;
  readonly conditionId: string;
  readonly questionId: string;
  readonly question: string;
  readonly slug: string;
  readonly category: Category;
  readonly yesToken: string;
  readonly noToken: string;
  /** Tick in mills (10 = 0.01, 1 = 0.001). */
  readonly tick: number;
  /** Starting YES probability. */
  readonly p0: number;
  /** Relative activity (share of the stream's actions). */
  readonly activity: number;
  readonly tags: readonly string[];
  readonly groupItemTitle: string | undefined;
}

export interface SimEvent {
  readonly index: number;
  readonly id: string;
  readonly slug: string;
  readonly title: string;
  readonly category: Category;
  /** When it resolves (the market_resolved frame), ms. */
  readonly endTs: number;
  /**
   * The end date Gamma states, ms: known in advance, so a fair feature. For an event that resolves
   * inside the horizon it is a whole hour 1 to 12 hours after the resolution (markets often resolve
   * before their stated end), so time-to-end never reveals the exact resolution time.
   */
  readonly scheduledEndTs: number;
  readonly startDateTs: number;
  /** True when it resolves inside the simulated horizon. */
  readonly resolves: boolean;
  /** Hourly logit vol of its markets' quiet phase. */
  readonly logitVol: number;
  readonly markets: readonly SimMarket[];
}

export interface CatalogOptions {
  readonly markets: number;
  readonly startTs: number;
  readonly durationMs: number;
  /** Share of events that resolve inside the horizon. */
  readonly resolvingFraction: number;
}

const DAY = 86_400_000;
const HOUR_MS = 3_600_000;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dateText = (ts: number): string => {
  const d = new Date(ts);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
};
const money = (n: number): string => n.toLocaleString('en-US');

const PEOPLE = ['Gavin Newsom', 'JD Vance', 'Marco Rubio', 'Josh Shapiro', 'Alexandria Ocasio-Cortez', 'Ron DeSantis', 'Pete Buttigieg', 'Gretchen Whitmer'];
const STATES = ['Georgia', 'Arizona', 'Pennsylvania', 'Michigan', 'Wisconsin', 'Nevada', 'North Carolina', 'Ohio'];
const TEAMS = ['Yankees', 'Dodgers', 'Red Sox', 'Cubs', 'Braves', 'Astros', 'Mets', 'Phillies', 'Lakers', 'Celtics', 'Warriors', 'Knicks', 'Chiefs', 'Eagles', 'Arsenal', 'Real Madrid'];
const COUNTRIES = ['Iran', 'Venezuela', 'Israel', 'China', 'North Korea', 'Taiwan', 'Ukraine', 'Syria'];
const FILMS = ['Dune: Part Three', 'The Batman Part II', 'Avengers: Doomsday', 'Toy Story 5', 'Shrek 5', 'The Odyssey'];
const ARTISTS = ['Taylor Swift', 'Drake', 'Beyonce', 'Bad Bunny', 'Kendrick Lamar', 'Billie Eilish', 'Rihanna'];

interface EventText {
  title: string;
  tags: string[];
  questions: string[];
  items: (string | undefined)[];
}

/** Question texts for one event of `size` markets (a ladder when size > 1, highest probability first). */
function eventText(category: Category, size: number, endTs: number, rng: Prng): EventText {
  const date = dateText(endTs);
  const ladder = (title: string, tags: string[], thresholds: number[], q: (x: number) => string, item: (x: number) => string): EventText => ({
    title,
    tags,
    questions: thresholds.map(q),
    items: thresholds.map(item),
  });
  const steps = (base: number, step: number): number[] => Array.from({ length: size }, (_, i) => base + i * step);
  switch (category) {
    case 'politics':
      if (size > 1) {
        const who = rng.pick(['Trump', 'Vance']);
        const base = rng.int(38, 44);
        return ladder(`${who} approval rating on ${date}?`, ['politics', 'approval-rating'], steps(base, 1), (x) => `Will ${who}'s approval rating be above ${x}% on ${date}?`, (x) => `${x}%`);
      } else {
        const q = rng.pick([
          () => `Will ${rng.pick(PEOPLE)} announce a 2028 presidential run by ${date}?`,
          () => `Will the Democrats win the ${rng.pick(STATES)} Senate race?`,
          () => `Will the government shut down by ${date}?`,
          () => `Will the Senate confirm the nominee for Fed Chair by ${date}?`,
        ])();
        return { title: q, tags: ['politics', 'us-politics'], questions: [q], items: [undefined] };
      }
    case 'sports': {
      const [a, b] = [rng.pick(TEAMS), rng.pick(TEAMS)];
      const away = a === b ? 'Rangers' : b;
      if (size > 1) {
        return ladder(`${a} vs. ${away}: margin of victory`, ['sports', 'spreads'], steps(1.5, 2), (x) => `Will the ${a} beat the ${away} by more than ${x} points on ${date}?`, (x) => `+${x}`);
      }
      const q = rng.chance(0.5) ? `Will the ${a} beat the ${away} on ${date}?` : `${a} vs. ${away}: will the game total go over ${rng.int(6, 11)}.5 on ${date}?`;
      return { title: `${a} vs. ${away}`, tags: ['sports', 'games'], questions: [q], items: [undefined] };
    }
    case 'crypto': {
      const coin = rng.pick([
        ['Bitcoin', 2000, rng.int(40, 60) * 2000],
        ['Ethereum', 100, rng.int(25, 45) * 100],
        ['Solana', 10, rng.int(12, 25) * 10],
      ] as const);
      const [name, step, base] = coin;
      if (size > 1) {
        return ladder(`${name} above ___ on ${date}?`, ['crypto', name.toLowerCase()], steps(base, step), (x) => `Will the price of ${name} be above $${money(x)} on ${date}?`, (x) => money(x));
      }
      const q = `Will ${name} reach $${money(base + 4 * step)} by ${date}?`;
      return { title: q, tags: ['crypto', name.toLowerCase()], questions: [q], items: [undefined] };
    }
    case 'economics': {
      if (size > 1) {
        const base = rng.int(24, 30) / 10;
        return ladder(`US CPI year-over-year, reported ${date}`, ['economics', 'inflation'], steps(base, 0.1).map((x) => Math.round(x * 10) / 10), (x) => `Will US CPI inflation be above ${x.toFixed(1)}% in the report released on ${date}?`, (x) => `${x.toFixed(1)}%`);
      }
      const q = rng.pick([
        () => `Will the Fed cut interest rates at the meeting ending ${date}?`,
        () => `Will the US unemployment rate be 4.5% or higher in the report released on ${date}?`,
        () => `Will the S&P 500 close above ${money(rng.int(60, 75) * 100)} on ${date}?`,
      ])();
      return { title: q, tags: ['economics', 'macro'], questions: [q], items: [undefined] };
    }
    case 'geopolitics': {
      const c = rng.pick(COUNTRIES);
      if (size > 1) {
        const base = rng.int(60, 80);
        return ladder(`WTI crude oil above ___ on ${date}?`, ['geopolitics', 'oil'], steps(base, 2), (x) => `Will WTI crude oil settle above $${x} on ${date}?`, (x) => `$${x}`);
      }
      const q = rng.pick([
        () => `Will Russia and Ukraine agree to a ceasefire by ${date}?`,
        () => `Will the US strike ${c} by ${date}?`,
        () => `Will ${c}'s leader leave office by ${date}?`,
        () => `Will ${c} hold a national election before ${date}?`,
      ])();
      return { title: q, tags: ['geopolitics', 'world'], questions: [q], items: [undefined] };
    }
    case 'culture': {
      const film = rng.pick(FILMS);
      if (size > 1) {
        const base = rng.int(6, 12) * 10;
        return ladder(`${film} opening weekend box office`, ['culture', 'movies'], steps(base, 20), (x) => `Will "${film}" gross over $${x}M in its opening weekend?`, (x) => `$${x}M`);
      }
      const q = rng.chance(0.5) ? `Will ${rng.pick(ARTISTS)} release a new album by ${date}?` : `Will "${film}" have a Rotten Tomatoes score of 80% or higher?`;
      return { title: q, tags: ['culture', 'pop-culture'], questions: [q], items: [undefined] };
    }
  }
}

const slugify = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90);

/** Inverse CDF through the calibrated start-price quantiles (p10..p90), tails linear to the clip. */
function drawStartPrice(rng: Prng): number {
  const qs = [0.001, ...START_PRICE_QUANTILES, 0.6];
  const ps = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
  const u = rng.next();
  let i = 1;
  while (i < ps.length - 1 && u > (ps[i] as number)) i++;
  const lo = ps[i - 1] as number;
  const hi = ps[i] as number;
  const p = (qs[i - 1] as number) + (((qs[i] as number) - (qs[i - 1] as number)) * (u - lo)) / (hi - lo);
  // YES/NO labels are arbitrary: mirror half the markets so favourites appear too.
  return rng.chance(0.5) ? 1 - p : p;
}

export function buildCatalog(opts: CatalogOptions, rng: Prng): SimEvent[] {
  const events: SimEvent[] = [];
  let marketIndex = 0;
  let gammaId = 500_000 + rng.int(0, 400_000);
  let eventId = 20_000 + rng.int(0, 100_000);
  const slugs = new Set<string>();
  while (marketIndex < opts.markets) {
    const index = events.length;
    const category = CATEGORIES[index % CATEGORIES.length] as Category;
    const left = opts.markets - marketIndex;
    const size = left >= 3 && rng.chance(0.3) ? Math.min(left, rng.int(3, 6)) : 1;
    // Guarantee at least one resolving event whenever there are two or more.
    const resolves = index === 1 || rng.chance(opts.resolvingFraction);
    const endTs = resolves
      ? opts.startTs + Math.round(opts.durationMs * (0.3 + 0.65 * rng.next()))
      : Math.ceil((opts.startTs + opts.durationMs + DAY * (2 + rng.exp(20))) / 3_600_000) * 3_600_000;
    const logitVol = Math.min(0.6, Math.max(0.03, rng.lognormal(HOURLY_LOGIT_VOL_MEDIAN, HOURLY_LOGIT_VOL_SIGMA)));
    const text = eventText(category, size, endTs, rng);
    // Ladder markets: the first is the most likely; each next threshold is harder.
    const pTop = size > 1 ? 0.6 + 0.38 * rng.next() : drawStartPrice(rng);
    const zTop = Math.log(pTop / (1 - pTop)) / PROBIT_TO_LOGIT;
    const dz = 0.35 + 0.5 * rng.next();
    let eventSlug = slugify(text.title);
    while (slugs.has(eventSlug)) eventSlug += `-${rng.int(2, 99)}`;
    slugs.add(eventSlug);
    const markets: SimMarket[] = [];
    for (let k = 0; k < size; k++) {
      const z = zTop - k * dz * (size > 1 ? 1 : 0);
      const p0 = 1 / (1 + Math.exp(-PROBIT_TO_LOGIT * z));
      const question = text.questions[k] as string;
      let slug = slugify(question);
      while (slugs.has(slug)) slug += `-${rng.int(2, 999)}`;
      slugs.add(slug);
      const fine = p0 < (FINE_TICK_BOUNDS[0] as number) || p0 > (FINE_TICK_BOUNDS[1] as number) || rng.chance(0.05);
      markets.push({
        index: marketIndex++,
        eventIndex: index,
        rank: k,
        gammaId: String(gammaId++),
        conditionId: `0x${rng.hex(64)}`,
        questionId: `0x${rng.hex(64)}`,
        question,
        slug,
        category,
        yesToken: rng.digits(77),
        noToken: rng.digits(77),
        tick: fine ? 1 : 10,
        p0,
        activity: rng.lognormal(1, 1),
        tags: text.tags,
        groupItemTitle: text.items[k],
      });
    }
    events.push({
      index,
      id: String(eventId),
      slug: eventSlug,
      title: text.title,
      category,
      endTs,
      scheduledEndTs: resolves ? Math.ceil(endTs / HOUR_MS) * HOUR_MS + (1 + (index % 12)) * HOUR_MS : endTs,
      startDateTs: opts.startTs - Math.round(DAY * (1 + rng.exp(14))),
      resolves,
      logitVol,
      markets,
    });
    eventId += 1 + rng.int(0, 50);
  }
  return events;
}

const titleCase = (s: string): string => s.replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase());

/** The Gamma market object for markets.jsonl (Gamma field names; JSON-encoded string arrays). */
export function gammaMarket(m: SimMarket, e: SimEvent): Record<string, unknown> {
  const iso = (ts: number): string => new Date(ts).toISOString().replace('.000Z', 'Z');
  const g: Record<string, unknown> = {
    id: m.gammaId,
    question: m.question,
    conditionId: m.conditionId,
    questionID: m.questionId,
    slug: m.slug,
    description: `This market will resolve to "Yes" if ${m.question.replace(/^Will /, '').replace(/\?$/, '')}. Otherwise, it will resolve to "No".`,
    category: m.category,
    outcomes: JSON.stringify(['Yes', 'No']).replace(',', ', '),
    clobTokenIds: JSON.stringify([m.yesToken, m.noToken]).replace(',', ', '),
    startDate: iso(e.startDateTs),
    endDate: iso(e.scheduledEndTs),
    active: true,
    closed: false,
    archived: false,
    acceptingOrders: true,
    enableOrderBook: true,
    orderPriceMinTickSize: m.tick / 1000,
    orderMinSize: 5,
    negRisk: false,
    events: [{ id: e.id, slug: e.slug, title: e.title }],
    tags: m.tags.map((slug, i) => ({ id: String(100 + CATEGORIES.indexOf(m.category) * 10 + i), label: titleCase(slug), slug })),
  };
  if (m.groupItemTitle !== undefined) g['groupItemTitle'] = m.groupItemTitle;
  return g;
}
