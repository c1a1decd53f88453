/**
 * Quantizing a trained model's weights for storage: {@link encodeQuantizedModel} (and
 * `saveQuantizedModel` in `@tformer/model/node`) make the same two files as `saveModel`, with the Dense kernels and
 * embedding tables as int8 or int4 values plus float32 scales. `loadModel`/`decodeModel` read
 * them back transparently, dequantizing on the active backend into an ordinary float32 model.
 */
import { encodeSafetensors, readSafetensorsHeader } from '@tformer/nn';
import { type SavableModel, savableClassName } from '../model-classes.js';
import type { SavedConfig } from '../save-load.js';
import {
  QUANTIZATION_METADATA_KEY,
  type QuantizationMetadata,
  type QuantizeOptions,
  quantizeState,
  readQuantizationMetadata,
} from './quantized-safetensors.js';

/**
 * A model's `config.json` object and quantized `model.safetensors` bytes (tformer naming).
 *
 * @example
 * ```ts
 * const model = new DecoderLM(DECODER_LM_PRESETS.baby, { rng: 0 });
 * const { config, weights } = await encodeQuantizedModel(model, { scheme: 'int4', groupSize: 64 });
 * const restored = decodeModel(config, weights); // float32 weights, dequantized
 * ```
 */
export async function encodeQuantizedModel(
  model: SavableModel,
  options: QuantizeOptions,
): Promise<{ config: SavedConfig; weights: Uint8Array }> {
  const className = savableClassName(model);
  const { tensors, metadata } = await quantizeState(model.stateDict(), options);
  const weights = encodeSafetensors(tensors, {
    format: 'pt',
    [QUANTIZATION_METADATA_KEY]: JSON.stringify(metadata),
  });
  const config: SavedConfig = {
    format: 'tformer',
    version: 1,
    className,
    naming: 'tformer',
    config: model.getConfig(),
  };
  return { config, weights };
}

/**
 * How a `model.safetensors` buffer is quantized, read from its header alone, or undefined for a
 * float file; a malformed quantization entry raises a `SavedModelError` naming `source`.
 */
export function quantizationOf(
  weights: Uint8Array,
  source = 'model.safetensors',
): QuantizationMetadata | undefined {
  return readQuantizationMetadata(readSafetensorsHeader(weights), source);
}
