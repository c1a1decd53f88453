/**
 * Structured pruning of a {@link DecoderLM}: whole attention heads and FFN units removed, giving
 * a genuinely smaller model (smaller tensors, a config that says so), not a masked one.
 *
 * The config holds one `numHeads`, `headSize` and `dFF` for every layer, so every layer keeps the
 * same number of heads and of FFN units (which ones may differ per layer). Heads keep their width
 * (`headSize`), so `numHeads · headSize` drops below `dModel`; the output projection maps the
 * narrower concatenation back to `dModel`. Grouped-query models (fewer key/value heads than
 * heads) keep their heads: a pruned query head would leave its key/value group unevenly shared.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DecoderLM } from '../decoder-lm.js';
import type { DecoderLMConfig } from '../decoder-lm-config.js';
import { ModelArgumentError } from '../errors.js';

/** What to keep, per layer: indices of heads and of FFN units (each layer the same count). */
export interface PrunePlan {
  /** `[layer][]` head indices to keep; default all. */
  heads?: readonly (readonly number[])[];
  /** `[layer][]` FFN unit indices (of `dFF`) to keep; default all. */
  ffnUnits?: readonly (readonly number[])[];
}

/** Indices of the `keep` largest scores of each row, in increasing index order. */
export function keepTopScores(scores: readonly (readonly number[])[], keep: number): number[][] {
  return scores.map((row) => {
    if (!Number.isInteger(keep) || keep < 1 || keep > row.length) {
      throw new ModelArgumentError('keep', `an integer in [1, ${row.length}]`, keep);
    }
    const order = row.map((_, i) => i).sort((a, b) => row[b]! - row[a]! || a - b);
    return order.slice(0, keep).sort((a, b) => a - b);
  });
}

/**
 * FFN unit importance by weight magnitude: for unit j of each layer, ‖W_in[:, j]‖ · ‖W_out[j, :]‖
 * (for SwiGLU the gate's column norm multiplies in too): a unit with small input or output
 * weights changes the residual stream little. `[layer][unit]`.
 */
export async function ffnUnitImportance(model: DecoderLM): Promise<number[][]> {
  const out: number[][] = [];
  for (let l = 0; l < model.blocks.length; l++) {
    const ffn = model.blocks.at(l).ffn as unknown as Record<
      string,
      { kernel: tf.Variable } | undefined
    >;
    const score = tf.tidy(() => {
      let s = tf.mul(
        tf.norm(ffn.up!.kernel, 'euclidean', 0), // [dFF]
        tf.norm(ffn.down!.kernel, 'euclidean', 1), // [dFF]
      );
      if (ffn.gate) s = tf.mul(s, tf.norm(ffn.gate.kernel, 'euclidean', 0));
      return s;
    });
    out.push(Array.from(await score.data()));
    score.dispose();
  }
  return out;
}

function checkKeep(
  name: string,
  keep: readonly (readonly number[])[] | undefined,
  layers: number,
  size: number,
): number[][] {
  if (keep === undefined) return Array.from({ length: layers }, () => range(size));
  const count = keep[0]?.length ?? 0;
  const ok =
    keep.length === layers &&
    count >= 1 &&
    keep.every(
      (row) =>
        row.length === count &&
        new Set(row).size === count &&
        row.every((i) => Number.isInteger(i) && i >= 0 && i < size),
    );
  if (!ok) {
    throw new ModelArgumentError(
      `plan.${name}`,
      `${layers} lists of the same number (≥ 1) of distinct indices in [0, ${size})`,
      keep.map((row) => `[${row.join(', ')}]`),
    );
  }
  return keep.map((row) => [...row]);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * A new {@link DecoderLM} holding only the kept heads and FFN units of `model` (which is left as
 * it is); the caller owns it. Its outputs equal those of `model` with the removed heads' outputs
 * (`blocks.N.attn.headOutput`) and the removed units' contributions zeroed.
 *
 * @example
 * ```ts
 * const small = pruneDecoderLM(model, { heads: keepTopScores(headScores, 3) });
 * small.config.numHeads; // 3
 * ```
 */
export function pruneDecoderLM(model: DecoderLM, plan: PrunePlan): DecoderLM {
  const c = model.config;
  const heads = checkKeep('heads', plan.heads, c.numLayers, c.numHeads);
  const units = checkKeep('ffnUnits', plan.ffnUnits, c.numLayers, c.dFF);
  if (heads[0]!.length < c.numHeads && c.numKeyValueHeads !== c.numHeads) {
    throw new ModelArgumentError(
      'plan.heads',
      `all heads of a grouped-query model (numKeyValueHeads ${c.numKeyValueHeads} < numHeads ${c.numHeads})`,
      heads[0]!.length,
    );
  }
  const config: DecoderLMConfig = {
    ...c,
    numHeads: heads[0]!.length,
    numKeyValueHeads: heads[0]!.length,
    headSize: c.headSize,
    dFF: units[0]!.length,
  };
  const pruned = new DecoderLM(config);
  const made: tf.Tensor[] = [];
  try {
    const state: Record<string, tf.Tensor> = {};
    for (const [name, value] of Object.entries(model.stateDict())) {
      const sliced = sliceParameter(name, value, heads, units, c.headSize);
      if (sliced !== value) made.push(sliced);
      state[name] = sliced;
    }
    pruned.loadStateDict(state);
  } catch (error) {
    pruned.dispose();
    throw error;
  } finally {
    tf.dispose(made);
  }
  return pruned;
}

/** `value` restricted to the kept heads' columns/rows or units' columns/rows, or `value` itself. */
function sliceParameter(
  name: string,
  value: tf.Tensor,
  heads: number[][],
  units: number[][],
  headSize: number,
): tf.Tensor {
  const match = /^blocks\.(\d+)\.(attn|ffn)\.(\w+)\.(kernel|bias)$/.exec(name);
  if (!match) return value;
  const layer = Number(match[1]);
  const [, , part, layerName, kind] = match;
  const lastAxis = value.rank - 1;
  if (part === 'attn') {
    // Head h owns columns h·hs … (h+1)·hs − 1 of the q/k/v projections and rows of the output one.
    const columns = heads[layer]!.flatMap((h) => range(headSize).map((i) => h * headSize + i));
    if (layerName === 'output') return kind === 'kernel' ? gather(value, columns, 0) : value;
    return gather(value, columns, lastAxis);
  }
  const kept = units[layer]!;
  if (layerName === 'down') return kind === 'kernel' ? gather(value, kept, 0) : value;
  return gather(value, kept, lastAxis); // up and gate: [dModel, dFF] kernels, [dFF] biases
}

function gather(value: tf.Tensor, indices: number[], axis: number): tf.Tensor {
  if (indices.length === value.shape[axis] && indices.every((v, i) => v === i)) return value;
  return tf.tidy(() => tf.gather(value, tf.tensor1d(indices, 'int32'), axis));
}
