import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  createRng,
  Dense,
  Dropout,
  Module,
  ModuleError,
  ModuleList,
  type Rng,
  type RngState,
  StateDictError,
} from './index.js';

/** A mixed run of draws of every kind, so a restored generator is compared on all of them. */
function draws(rng: Rng): number[] {
  return [
    rng.nextUint32(),
    rng.uniform(),
    rng.normal(),
    rng.uniform(-2, 3),
    rng.normal(1, 2),
    rng.normal(),
    ...rng.uniformArray(5, -1, 1),
    ...rng.normalArray(5),
    rng.fork().nextUint32(),
  ];
}

/** Through JSON, as checkpoints store it. */
const roundTrip = (state: RngState): RngState => JSON.parse(JSON.stringify(state));

describe('Rng state', () => {
  it('is plain JSON: uint32 words, the spare and the seed', () => {
    const rng = createRng(7);
    for (let i = 0; i < 10; i++) rng.nextUint32(); // the xor steps make signed words
    const state = rng.state();
    expect(roundTrip(state)).toEqual(state);
    expect(state.seed).toBe(7);
    expect(state.spare).toBeNull();
    expect(state.words).toHaveLength(4);
    for (const w of state.words) expect(w >>> 0).toBe(w);
    rng.normal();
    expect(typeof rng.state().spare).toBe('number');
  });

  it('restores the exact sequence: uniform, uint32, normal, arrays and forks', () => {
    const rng = createRng(123);
    draws(rng);
    const state = roundTrip(rng.state());
    const expected = draws(rng);
    rng.restore(state);
    expect(draws(rng)).toEqual(expected);
    // Into another generator, seeded differently: it takes the seed too.
    const other = createRng(5);
    other.restore(state);
    expect(other.seed).toBe(123);
    expect(draws(other)).toEqual(expected);
  });

  it('keeps a pending Box–Muller spare', () => {
    const rng = createRng(9);
    rng.normal(); // leaves the pair's second value pending
    const state = roundTrip(rng.state());
    expect(state.spare).not.toBeNull();
    const expected = [rng.normal(), rng.normal(), rng.normal()];
    const other = createRng(1);
    other.normal(); // its own pending spare must be replaced, not used
    other.restore(state);
    expect([other.normal(), other.normal(), other.normal()]).toEqual(expected);
    // And a state without a spare clears a pending one.
    const clean = createRng(3);
    const cleanState = clean.state();
    const cleanNext = clean.normal();
    other.normal();
    other.restore(cleanState);
    expect(other.normal()).toBe(cleanNext);
  });

  it('keepMask takes the same draws as nextUint32 and keeps u ≥ rate·2³² at 1/(1 − rate)', () => {
    for (const rate of [0, 0.1, 0.5, 0.9]) {
      const a = createRng(11);
      const b = createRng(11);
      const mask = a.keepMask(1000, rate);
      const expected = Array.from({ length: 1000 }, () =>
        b.nextUint32() >= rate * 2 ** 32 ? Math.fround(1 / (1 - rate)) : 0,
      );
      expect(Array.from(mask)).toEqual(expected);
      expect(a.state()).toEqual(b.state()); // the generator advanced by exactly 1000 draws
    }
    const kept = createRng(3)
      .keepMask(100_000, 0.3)
      .filter((m) => m > 0).length;
    expect(kept / 100_000).toBeGreaterThan(0.69);
    expect(kept / 100_000).toBeLessThan(0.71);
  });

  it('is a copy: later draws do not change a taken state', () => {
    const rng = createRng(4);
    const state = rng.state();
    const copy = structuredClone(state);
    rng.uniformArray(10);
    rng.normal();
    expect(state).toEqual(copy);
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /^state: expected an object \{ words, spare, seed \}, got null$/],
    [
      'three words',
      { words: [1, 2, 3], spare: null, seed: 0 },
      /state\.words: expected four uint32/,
    ],
    ['a negative word', { words: [1, 2, 3, -4], spare: null, seed: 0 }, /state\.words/],
    ['a word ≥ 2³²', { words: [1, 2, 3, 2 ** 32], spare: null, seed: 0 }, /state\.words/],
    ['a fractional word', { words: [1, 2, 3, 0.5], spare: null, seed: 0 }, /state\.words/],
    [
      'all-zero words',
      { words: [0, 0, 0, 0], spare: null, seed: 0 },
      /not all zero, got \[0, 0, 0, 0\]/,
    ],
    [
      'a string spare',
      { words: [1, 2, 3, 4], spare: '1', seed: 0 },
      /state\.spare: expected a finite number or null/,
    ],
    ['a missing spare', { words: [1, 2, 3, 4], seed: 0 }, /state\.spare/],
    ['a NaN spare', { words: [1, 2, 3, 4], spare: Number.NaN, seed: 0 }, /state\.spare/],
    [
      'a negative seed',
      { words: [1, 2, 3, 4], spare: null, seed: -1 },
      /state\.seed: expected a non-negative safe integer/,
    ],
  ])('rejects %s with an ArgumentError and stays unchanged', (_, bad, message) => {
    const rng = createRng(11);
    const before = rng.state();
    expect(() => rng.restore(bad as RngState)).toThrow(ArgumentError);
    expect(() => rng.restore(bad as RngState)).toThrow(message);
    expect(rng.state()).toEqual(before);
  });
});

class Block extends Module {
  readonly dense: Dense;
  readonly dropout: Dropout;
  constructor(rng: Rng) {
    super();
    this.dense = this.addModule('dense', new Dense({ inputDim: 4, outputDim: 4, rng: rng.fork() }));
    this.dropout = this.addModule('dropout', new Dropout({ rate: 0.5, rng: rng.fork() }));
  }
}

/** A tree with a root-level generator, dropout in a list, and one generator shared by two layers. */
class Net extends Module {
  readonly noise: Rng;
  readonly blocks: ModuleList<Block>;
  readonly tied: Dropout;
  readonly tiedAgain: Dropout;
  constructor(seed: number) {
    super();
    const rng = createRng(seed);
    this.noise = this.addRng('noise', rng.fork());
    this.blocks = this.addModule('blocks', new ModuleList([new Block(rng), new Block(rng)]));
    const shared = rng.fork();
    this.tied = this.addModule('tied', new Dropout({ rate: 0.2, rng: shared }));
    this.tiedAgain = this.addModule('tiedAgain', new Dropout({ rate: 0.2, rng: shared }));
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = tf.mul(x, this.noise.uniform(0.5, 1.5));
      for (const block of this.blocks) h = block.dropout.apply(block.dense.apply(h));
      return this.tiedAgain.apply(this.tied.apply(h));
    });
  }
}

describeWithBackends('Module random state', () => {
  it('names every registered generator by dotted path, a shared one once', () => {
    const net = new Net(1);
    expect(net.namedRngs().map(([name]) => name)).toEqual([
      'noise',
      'blocks.0.dropout.rng',
      'blocks.1.dropout.rng',
      'tied.rng',
    ]);
    expect(Object.keys(net.randomState())).toEqual(net.namedRngs().map(([name]) => name));
    expect(net.namedRngs()[1]![1]).toBe(net.blocks.at(0).dropout.rng);
    net.dispose();
  });

  it('a fresh model with another seed continues with the same dropout masks after loading', () => {
    const x = tf.ones([3, 4]);
    const a = new Net(1);
    const b = new Net(2);
    b.loadStateDict(a.stateDict());
    tf.dispose(a.apply(x)); // advance a's generators past their start
    const saved = JSON.parse(JSON.stringify(a.randomState()));
    const expected = [a.apply(x), a.apply(x)];
    b.loadRandomState(saved);
    const got = [b.apply(x), b.apply(x)];
    for (let i = 0; i < 2; i++) expect(got[i]!.arraySync()).toEqual(expected[i]!.arraySync());
    expect(b.randomState()).toEqual(a.randomState());
    tf.dispose([x, ...expected, ...got]);
    a.dispose();
    b.dispose();
  });

  it('reports every missing and unexpected name in one StateDictError, restoring nothing', () => {
    const net = new Net(3);
    const before = net.randomState();
    const states = new Net(4).randomState();
    delete states['blocks.1.dropout.rng'];
    delete states.noise;
    states['blocks.2.dropout.rng'] = states['tied.rng']!;
    const error = (() => {
      try {
        net.loadRandomState(states);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).reason).toBe('missing');
    expect((error as Error).message).toBe(
      'random state is missing generator(s): noise, blocks.1.dropout.rng; ' +
        'has unexpected key(s): blocks.2.dropout.rng',
    );
    expect(net.randomState()).toEqual(before);
    // Non-strict: restores what is there, ignores the rest.
    net.loadRandomState(states, { strict: false });
    expect(net.randomState()['blocks.0.dropout.rng']).toEqual(states['blocks.0.dropout.rng']);
    expect(net.randomState().noise).toEqual(before.noise);
    net.dispose();
  });

  it('validates every state before restoring any, naming the bad one', () => {
    const net = new Net(5);
    const before = net.randomState();
    const states = new Net(6).randomState();
    states['tied.rng'] = { ...states['tied.rng']!, words: [0, 0, 0, 0] };
    expect(() => net.loadRandomState(states)).toThrow(ArgumentError);
    expect(() => net.loadRandomState(states)).toThrow(/^states\['tied\.rng'\]\.words: expected/);
    expect(net.randomState()).toEqual(before);
    net.dispose();
  });

  it('rejects a generator name already used, and loading after dispose', () => {
    class Clash extends Module {
      constructor() {
        super();
        this.addModule('drop', new Dropout({ rate: 0.1, rng: 0 }));
        this.addRng('drop', createRng(0));
      }
    }
    expect(() => new Clash()).toThrow(/name 'drop' is already used in this module/);
    const net = new Net(7);
    const states = net.randomState();
    net.dispose();
    expect(() => net.loadRandomState(states)).toThrow(ModuleError);
  });
});
