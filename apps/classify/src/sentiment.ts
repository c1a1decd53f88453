import type { Rng } from '@tformer/nn';

/** A labelled example: the class name and the text. */
export interface Example {
  label: string;
  text: string;
}

export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;

const SUBJECTS = [
  'the film',
  'the food',
  'the service',
  'the hotel',
  'this phone',
  'the concert',
  'the book',
  'the staff',
  'the game',
  'our trip',
];
const POSITIVE = ['great', 'wonderful', 'excellent', 'delightful', 'superb', 'fun', 'lovely'];
const NEGATIVE = ['awful', 'terrible', 'boring', 'dreadful', 'disappointing', 'poor', 'bad'];
const NEUTRAL_FACTS = [
  'arrived on tuesday',
  'was in english',
  'lasted two hours',
  'opened at nine',
  'came in a blue box',
  'was on the second floor',
  'cost twenty dollars',
];
const INTENSIFIERS = ['', '', 'really ', 'very ', 'quite ', 'truly '];
const NEGATIONS = ['not', 'never', 'hardly'];
/** [past tense, base form] of verbs of liking and disliking. */
const LIKED: readonly (readonly [string, string])[] = [
  ['loved', 'love'],
  ['enjoyed', 'enjoy'],
  ['liked', 'like'],
];
const DISLIKED: readonly (readonly [string, string])[] = [
  ['hated', 'hate'],
  ['disliked', 'dislike'],
  ['regretted', 'regret'],
];

/**
 * One sentence of the default task and its label. Polar words alone do not decide the label:
 * a negation flips it ("the food was not great" is negative) and a "but" clause overrides the
 * first ("the film was boring but the staff was lovely" is positive), so a bag of words with
 * average pooling cannot solve it — the Transformer block has to relate words to each other.
 */
export function sentimentExample(rng: Rng): Example {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
  const clause = (): { text: string; polarity: -1 | 0 | 1 } => {
    const subject = pick(SUBJECTS);
    const form = rng.uniform();
    if (form < 0.2) return { text: `${subject} ${pick(NEUTRAL_FACTS)}`, polarity: 0 };
    if (form < 0.4) {
      const liked = rng.uniform() < 0.5;
      const negated = rng.uniform() < 0.4;
      const [past, base] = pick(liked ? LIKED : DISLIKED);
      const text = negated ? `i did not ${base} ${subject}` : `i ${past} ${subject}`;
      return { text, polarity: liked !== negated ? 1 : -1 };
    }
    const positive = rng.uniform() < 0.5;
    const negated = rng.uniform() < 0.4;
    const adjective = pick(positive ? POSITIVE : NEGATIVE);
    const text = `${subject} was ${negated ? `${pick(NEGATIONS)} ` : ''}${pick(INTENSIFIERS)}${adjective}`;
    return { text, polarity: positive !== negated ? 1 : -1 };
  };
  const first = clause();
  if (rng.uniform() < 0.7) return labelled(first.text, first.polarity);
  const second = clause();
  // "x but y": the second clause decides, unless it is neutral.
  return labelled(
    `${first.text} but ${second.text}`,
    second.polarity === 0 ? first.polarity : second.polarity,
  );
}

const labelled = (text: string, polarity: -1 | 0 | 1): Example => ({
  text,
  label: SENTIMENT_LABELS[polarity + 1]!,
});

/** `count` generated examples. */
export function sentimentExamples(rng: Rng, count: number): Example[] {
  return Array.from({ length: count }, () => sentimentExample(rng));
}
