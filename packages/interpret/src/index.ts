// @tformer/interpret — the public API (exports below are sorted by module):
//
// | group        | names |
// | ------------ | ----- |
// | activations  | runWithCache, ActivationCache |
// | attention    | attentionMaps, attentionRollout |
// | attribution  | gradientTimesInput, integratedGradients |
// | lens         | logitLens, headAblation |
// | export       | bertvizJson, renderHeatmapSvg, renderHtmlPage |
// | errors       | InterpretError |

export { ActivationCache } from './activation-cache.js';
export { type AttentionKind, attentionMaps } from './attention-maps.js';
export { type AttentionRolloutOptions, attentionRollout } from './attention-rollout.js';
export type { AttributionTarget } from './attribution-target.js';
export {
  type BertvizLayers,
  type BertvizSelfAttention,
  type BertvizSeq2Seq,
  bertvizJson,
} from './bertviz-json.js';
export { InterpretError } from './errors.js';
export { gradientTimesInput } from './gradient-times-input.js';
export {
  type HeadAblationOptions,
  type HeadAblationResult,
  headAblation,
} from './head-ablation.js';
export type { InterpretableModel, ModelInput } from './hooked-model.js';
export {
  type IntegratedGradientsOptions,
  type IntegratedGradientsResult,
  integratedGradients,
} from './integrated-gradients.js';
export { type LogitLensOptions, type LogitLensResult, logitLens } from './logit-lens.js';
export { type HeatmapOptions, renderHeatmapSvg } from './render-heatmap.js';
export { type HtmlSection, renderHtmlPage } from './render-html-page.js';
export { type HookPointFilter, runWithCache } from './run-with-cache.js';
