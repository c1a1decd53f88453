import { describe, expect, it } from 'vitest';
import { TokenizerError, WordPieceTokenizer, WordPieceTrainer } from './index.js';

const BERT_VOCAB = [
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'want',
  '##want',
  '##ed',
  'wa',
  'un',
  'runn',
  '##ing',
];

function tokens(tok: WordPieceTokenizer, text: string, opts = {}): string[] {
  return tok.encode(text, opts).map((id) => tok.idToToken(id)!);
}

/** A vocabulary holding every whole word the basic-tokenizer cases produce. */
function wordsVocab(words: string[], options = {}): WordPieceTokenizer {
  return new WordPieceTokenizer({ vocab: ['[UNK]', ...words], ...options });
}

describe('WordPieceTokenizer', () => {
  it('does greedy longest-match-first with ## (BERT reference cases)', () => {
    const tok = new WordPieceTokenizer({ vocab: BERT_VOCAB });
    expect(tokens(tok, 'unwanted running')).toEqual(['un', '##want', '##ed', 'runn', '##ing']);
    expect(tokens(tok, 'unwantedX running')).toEqual(['[UNK]', 'runn', '##ing']);
    expect(tok.encode('')).toEqual([]);
  });

  it('lower-cases, strips accents, splits punctuation and whitespace (BERT reference cases)', () => {
    const tok = wordsVocab(['hello', '!', 'how', 'are', 'you', '?']);
    expect(tokens(tok, ' \tHeLLo!how  \n Are yoU?  ')).toEqual([
      'hello',
      '!',
      'how',
      'are',
      'you',
      '?',
    ]);
    expect(tokens(tok, 'H\u00E9llo')).toEqual(['hello']);
    const cased = wordsVocab(['HeLLo', '!', 'how', 'Are', 'yoU', '?', 'HäLLo'], {
      lowercase: false,
    });
    expect(tokens(cased, ' \tHeLLo!how  \n Are yoU?  ')).toEqual([
      'HeLLo',
      '!',
      'how',
      'Are',
      'yoU',
      '?',
    ]);
    expect(tokens(cased, 'HäLLo')).toEqual(['HäLLo']);
    const keepAccents = wordsVocab(['hällo'], { lowercase: true, stripAccents: false });
    expect(tokens(keepAccents, 'HäLLo')).toEqual(['hällo']);
  });

  it('puts each CJK ideograph in its own word and drops control characters', () => {
    const tok = wordsVocab(['ah', '\u535A', '\u63A8', 'zz', 'ab']);
    expect(tokens(tok, 'ah\u535A\u63A8zz')).toEqual(['ah', '\u535A', '\u63A8', 'zz']);
    expect(tokens(tok, 'a\u0000b \u200bab\ufffd')).toEqual(['ab', 'ab']);
    const noCjk = wordsVocab(['ah\u535A'], { handleChineseChars: false });
    expect(tokens(noCjk, 'ah\u535A')).toEqual(['ah\u535A']);
  });

  it('turns words longer than maxInputCharsPerWord into [UNK]', () => {
    const tok = new WordPieceTokenizer({ vocab: [...BERT_VOCAB, '##n'], maxInputCharsPerWord: 3 });
    expect(tokens(tok, 'wa unnn')).toEqual(['wa', '[UNK]']);
    expect(tokens(tok, 'unn')).toEqual(['un', '##n']);
  });

  it('gives offsets into the original text and wraps with [CLS] … [SEP]', () => {
    const tok = new WordPieceTokenizer({ vocab: [...BERT_VOCAB, ',', 'u'] });
    const text = 'UNwánted, Ü';
    const enc = tok.encodeWithOffsets(text, { addSpecialTokens: true });
    expect(enc.ids.map((id) => tok.idToToken(id))).toEqual([
      '[CLS]',
      'un',
      '##want',
      '##ed',
      ',',
      'u',
      '[SEP]',
    ]);
    expect(enc.offsets).toEqual([
      [0, 0],
      [0, 2],
      [2, 6],
      [6, 8],
      [8, 9],
      [10, 11],
      [0, 0],
    ]);
  });

  it('decodes, gluing ## pieces, optionally without special tokens', () => {
    const tok = new WordPieceTokenizer({ vocab: BERT_VOCAB });
    const ids = tok.encode('unwanted running', { addSpecialTokens: true });
    expect(tok.decode(ids)).toBe('[CLS] unwanted running [SEP]');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('unwanted running');
    expect(() => tok.decode([99])).toThrow(TokenizerError);
  });

  it('loads vocab.txt and rejects repeated lines and a missing [UNK]', () => {
    const tok = WordPieceTokenizer.fromVocabTxt(`${BERT_VOCAB.join('\r\n')}\r\n`);
    expect(tok.vocabSize).toBe(BERT_VOCAB.length);
    expect(tok.tokenToId('##ing')).toBe(9);
    const dup = () => WordPieceTokenizer.fromVocabTxt('[UNK]\na\na');
    expect(dup).toThrow(/line 3/);
    expect(() => WordPieceTokenizer.fromVocabTxt('a\nb')).toThrow(/unk token/);
  });
});

describe('WordPieceTrainer', () => {
  it('learns whole words from a repetitive corpus and keeps the alphabet', () => {
    const corpus = 'hug hug hug hugs hugs pug pun bun '.repeat(5);
    const tok = new WordPieceTrainer({ vocabSize: 40, minFrequency: 2 }).train(corpus);
    expect(tokens(tok, 'hug')).toEqual(['hug']);
    expect(tokens(tok, 'hugs')).toEqual(['hugs']);
    for (const c of ['h', '##u', '##g', 'p', '##n', 'b', '##s'])
      expect(tok.tokenToId(c)).toBeDefined();
    expect(tok.idToToken(0)).toBe('[PAD]');
    expect(tokens(tok, 'gub')).toEqual(['[UNK]']);
    expect(tok.vocabSize).toBeLessThanOrEqual(40);
  });

  it('stops at vocabSize', () => {
    const tok = new WordPieceTrainer({ vocabSize: 25, minFrequency: 1 }).train(
      'abcdefgh abcdefgh xyz xyz',
    );
    expect(tok.vocabSize).toBe(25);
  });
});
