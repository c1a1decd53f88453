import type { Rng } from '@tformer/nn';

const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0–99 in British English words: "seven", "thirteen", "forty-two". */
function belowHundred(n: number): string {
  if (n < 20) return ONES[n]!;
  const unit = n % 10;
  return unit === 0 ? TENS[n / 10]! : `${TENS[Math.floor(n / 10)]}-${ONES[unit]}`;
}

/** 0–999: "three hundred and forty-two", "five hundred", "twelve". */
function belowThousand(n: number): string {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds === 0) return belowHundred(rest);
  const head = `${ONES[hundreds]} hundred`;
  return rest === 0 ? head : `${head} and ${belowHundred(rest)}`;
}

/**
 * An integer in [0, 999 999] spelled out in British English: 4312 → "four thousand three hundred
 * and twelve", 2005 → "two thousand and five" (the "and" before a last group below 100).
 */
export function numberToWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 999_999)
    throw new RangeError(`n: expected an integer in [0, 999999], got ${n}`);
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  if (thousands === 0) return belowThousand(rest);
  const head = `${belowThousand(thousands)} thousand`;
  if (rest === 0) return head;
  return rest < 100 ? `${head} and ${belowHundred(rest)}` : `${head} ${belowThousand(rest)}`;
}

/** A sentence pair: source text and its reference translation. */
export interface Pair {
  src: string;
  tgt: string;
}

/** Largest number of the default task: up to four digits in, up to ~8 words out. */
export const DEFAULT_MAX_NUMBER = 9999;

/**
 * The default parallel corpus: digits → English words ("4312" → "four thousand three hundred and
 * twelve"). Not a copy task: the model must read the digits' positions (a 3 in the hundreds
 * place is "three hundred"), handle the teens ("13" → "thirteen") and decide where "and" goes.
 * `train` and `test` hold distinct numbers, so the test BLEU measures generalisation to numbers
 * never seen in training.
 */
export function numberPairs(
  rng: Rng,
  trainSize: number,
  testSize: number,
): {
  train: Pair[];
  test: Pair[];
} {
  const total = trainSize + testSize;
  if (total > DEFAULT_MAX_NUMBER + 1)
    throw new RangeError(`trainSize + testSize: at most ${DEFAULT_MAX_NUMBER + 1}, got ${total}`);
  // A partial Fisher–Yates shuffle: the first `total` of a random permutation of 0…max.
  const numbers = Array.from({ length: DEFAULT_MAX_NUMBER + 1 }, (_, i) => i);
  for (let i = 0; i < total; i++) {
    const j = i + Math.floor(rng.uniform() * (numbers.length - i));
    [numbers[i], numbers[j]] = [numbers[j]!, numbers[i]!];
  }
  const pair = (n: number): Pair => ({ src: String(n), tgt: numberToWords(n) });
  return {
    train: numbers.slice(0, trainSize).map(pair),
    test: numbers.slice(trainSize, total).map(pair),
  };
}
