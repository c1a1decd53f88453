import * as tf from '@tensorflow/tfjs-core';
import {
  DecoderLM,
  EncoderClassifier,
  EncoderDecoder,
  type Hooks,
  VisionTransformer,
} from '@tformer/model';
import { InterpretError } from './errors.js';

/** A model with hook points. */
export type InterpretableModel = DecoderLM | EncoderDecoder | EncoderClassifier | VisionTransformer;

/**
 * What a model's forward pass takes: ids `[B, T]` int32 (DecoderLM, EncoderClassifier), images
 * `[B, H, W, C]` (VisionTransformer), or source and target ids (EncoderDecoder).
 */
export type ModelInput = tf.Tensor | { readonly src: tf.Tensor; readonly tgt: tf.Tensor };

/** The model's output (logits) for `input`, with `hooks`. */
export function runModel(model: InterpretableModel, input: ModelInput, hooks?: Hooks): tf.Tensor {
  if (model instanceof EncoderDecoder) {
    if (input instanceof tf.Tensor) {
      throw new InterpretError('input: expected { src, tgt } for an EncoderDecoder, got a tensor');
    }
    return model.apply(input.src, input.tgt, { hooks });
  }
  if (!(input instanceof tf.Tensor)) {
    throw new InterpretError(
      `input: expected a tensor for a ${model.constructor.name}, got { src, tgt }`,
    );
  }
  if (model instanceof DecoderLM) return model.apply(input, { hooks });
  return (model as EncoderClassifier | VisionTransformer).apply(input, { hooks });
}

/** The hook point of the input token embeddings (the source's for an EncoderDecoder). */
export function embeddingPoint(model: InterpretableModel): string {
  if (model instanceof DecoderLM) return 'wte.output';
  if (model instanceof EncoderDecoder) return 'srcEmbed.output';
  if (model instanceof EncoderClassifier) return 'tokenEmbed.output';
  if (model instanceof VisionTransformer) return 'patchEmbed.output';
  throw new InterpretError(`model: expected a @tformer/model model with hook points`);
}

/** Row `b` of the input, repeated `n` times along the batch axis (the caller owns it). */
export function repeatRow(input: ModelInput, b: number, n: number): ModelInput {
  const rep = (t: tf.Tensor) =>
    tf.tidy(() => tf.tile(tf.slice(t, b, 1), [n, ...Array(t.rank - 1).fill(1)]));
  return input instanceof tf.Tensor ? rep(input) : { src: rep(input.src), tgt: rep(input.tgt) };
}

export function disposeInput(input: ModelInput): void {
  if (input instanceof tf.Tensor) input.dispose();
  else tf.dispose([input.src, input.tgt]);
}

export function batchSize(input: ModelInput): number {
  return (input instanceof tf.Tensor ? input : input.src).shape[0]!;
}
