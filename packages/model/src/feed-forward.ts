import { FeedForward, type Initializer, type Rng, SwiGLU } from '@tformer/nn';
import type { ResolvedBlockConfig } from './block-config.js';

/** The block's FFN: nn's `FeedForward` (relu/gelu) or `SwiGLU`, children named `ffn.*`. */
export function makeFeedForward(
  c: ResolvedBlockConfig,
  rng: Rng,
  init: { kernelInitializer?: Initializer; outputInitializer?: Initializer },
): FeedForward | SwiGLU {
  const common = {
    dModel: c.dModel,
    hiddenDim: c.dFF,
    useBias: c.bias,
    kernelInitializer: init.kernelInitializer,
    outputInitializer: init.outputInitializer,
    rng,
  };
  return c.activation === 'swiglu'
    ? new SwiGLU(common)
    : new FeedForward({ ...common, activation: c.activation });
}
