/**
 * Lexicon sentiment for news headlines, in the manner of Loughran & McDonald (2011, "When is a
 * liability not a liability?"): general-purpose lexicons misread finance text (tax, cost, liability,
 * crude, cancer, mine are neutral there), so the words below are ones that carry tone in financial
 * and political news, written for polyflow (a small list in the LM style, not the LM dictionary).
 * Score = (positive - negative) / (positive + negative) over the matched words, in [-1, 1], 0 when
 * none match; a word within three tokens after a negator ("not", "no", "never", "without", "n't")
 * counts for the other side, as LM do for positive words.
 */
const POSITIVE = new Set(
  (
    'gain gains gained rise rises rising rose surge surges surged soar soars soared rally rallies rallied ' +
    'beat beats exceeded exceeds outperform outperformed strong stronger strength robust growth grow grows ' +
    'profit profits profitable record upgrade upgraded improve improved improvement boost boosted ' +
    'win wins won victory approve approved approval pass passed success successful breakthrough ' +
    'bullish optimistic optimism recover recovery rebound rebounded expand expansion agreement deal ' +
    'ceasefire peace lead leads leading ahead favorable positive confident confidence stable easing'
  ).split(' '),
);

const NEGATIVE = new Set(
  (
    'loss losses lose loses lost fall falls fell falling drop drops dropped plunge plunges plunged ' +
    'slump slumped tumble tumbled crash crashed decline declines declined weak weaker weakness miss missed ' +
    'downgrade downgraded cut cuts slash slashed layoffs bankrupt bankruptcy default defaults fraud ' +
    'lawsuit sued investigation probe indicted indictment charged scandal resign resigns resigned ' +
    'crisis recession inflation shutdown sanctions war attack strike strikes protest protests ' +
    'fail fails failed failure reject rejected rejection delay delayed halt halted suspend suspended ' +
    'bearish pessimistic concern concerns worry worries fear fears warn warns warning risk volatile ' +
    'trailing trails behind negative unstable collapse collapsed'
  ).split(' '),
);

const NEGATORS = new Set(['not', 'no', 'never', 'without', 'nor', 'neither', "n't", 'cannot']);

export function financeSentiment(text: string): number {
  const tokens = text.toLowerCase().replace(/n't\b/g, " n't").match(/[a-z']+/g) ?? [];
  let positive = 0;
  let negative = 0;
  let negatedUntil = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (NEGATORS.has(t)) {
      negatedUntil = i + 3;
      continue;
    }
    const sign = POSITIVE.has(t) ? 1 : NEGATIVE.has(t) ? -1 : 0;
    if (sign === 0) continue;
    if ((i <= negatedUntil ? -sign : sign) > 0) positive++;
    else negative++;
  }
  return positive + negative === 0 ? 0 : (positive - negative) / (positive + negative);
}
