import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@tformer/nn';

/**
 * The renaming that Llama and ViT checkpoints share: a table of our name ↔ the checkpoint's name,
 * and whether the tensor transposes (a Dense kernel `[in, out]` ↔ an `nn.Linear` weight
 * `[out, in]`); every other tensor copies as is. Each format adds its own special cases (ViT's
 * patch Conv2d, Llama's zero head bias) around these two loops.
 */

/** Our name, the checkpoint's name, and whether the tensor transposes. */
export type LinearName = [ours: string, hf: string, transpose: boolean];

/** A checkpoint's state dict in our names: `created` lists the new tensors (the caller disposes them). */
export interface MappedState {
  state: StateDict;
  created: tf.Tensor[];
  unexpected: string[];
}

/** `state` (our names) in the checkpoint's names; every tensor is new. Call inside `tf.tidy`. */
export function toLinearNames(state: StateDict, names: readonly LinearName[]): StateDict {
  const out: StateDict = {};
  for (const [ours, hf, transpose] of names) {
    const t = state[ours]!;
    out[hf] = transpose ? tf.transpose(t) : tf.clone(t); // [in, out] → [out, in]
  }
  return out;
}

/**
 * A checkpoint's `state` in our names through `names`. `special` sees each entry first (its name
 * after `rename`) and returns true when it took care of it (skipped it, or wrote `mapped` itself);
 * names neither it nor the table know are in `unexpected`, as the checkpoint spells them. A weight
 * that should transpose but is not a matrix passes through unchanged, so the caller's shape check
 * names it.
 */
export function fromLinearNames(
  state: StateDict,
  names: readonly LinearName[],
  special: (name: string, tensor: tf.Tensor, mapped: MappedState) => boolean,
  rename: (name: string) => string = (name) => name,
): MappedState {
  const byHf = new Map(names.map(([ours, hf, transpose]) => [hf, { ours, transpose }]));
  const mapped: MappedState = { state: {}, created: [], unexpected: [] };
  for (const [raw, tensor] of Object.entries(state)) {
    const name = rename(raw);
    if (special(name, tensor, mapped)) continue;
    const m = byHf.get(name);
    if (!m) {
      mapped.unexpected.push(raw);
      continue;
    }
    if (m.transpose && tensor.rank === 2) {
      const t = tf.transpose(tensor); // [out, in] → [in, out]
      mapped.created.push(t);
      mapped.state[m.ours] = t;
    } else {
      mapped.state[m.ours] = tensor;
    }
  }
  return mapped;
}
