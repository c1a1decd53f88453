/** Canvas drawing: the loss chart and the heatmaps of the attention, saliency and lens views. */

export const BACKGROUND = '#ffffff';

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context');
  return ctx;
}

/** The canvas's 2d context and size (W × H), the canvas cleared to the background. */
function cleared(canvas: HTMLCanvasElement) {
  const ctx = context(canvas);
  const { width: W, height: H } = canvas;
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, W, H);
  return { ctx, W, H };
}

/** Loss per step, with min/max labels on the y axis and the step count on the x axis. */
export function drawLossChart(canvas: HTMLCanvasElement, losses: readonly number[]): void {
  const { ctx, W, H } = cleared(canvas);
  const pad = { left: 44, right: 8, top: 8, bottom: 20 };
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad.left, pad.top, W - pad.left - pad.right, H - pad.top - pad.bottom);
  ctx.fillStyle = '#333';
  ctx.font = '11px sans-serif';
  if (losses.length === 0) {
    ctx.fillText('loss per step appears here while training', pad.left + 8, H / 2);
    return;
  }
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const span = hi - lo || 1;
  const x = (i: number) =>
    pad.left + ((W - pad.left - pad.right) * i) / Math.max(1, losses.length - 1);
  const y = (v: number) => pad.top + ((H - pad.top - pad.bottom) * (hi - v)) / span;
  ctx.fillText(hi.toFixed(2), 4, pad.top + 10);
  ctx.fillText(lo.toFixed(2), 4, H - pad.bottom);
  ctx.fillText(`step ${losses.length}`, W - pad.right - 60, H - 5);
  ctx.fillText('1', pad.left, H - 5);
  ctx.strokeStyle = '#c0392b';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  losses.forEach((v, i) => {
    if (i === 0) ctx.moveTo(x(i), y(v));
    else ctx.lineTo(x(i), y(v));
  });
  ctx.stroke();
}

/** White (0) → dark blue (1). */
export function blue(v: number): string {
  const t = Math.max(0, Math.min(1, v));
  const r = Math.round(255 - 225 * t);
  const g = Math.round(255 - 175 * t);
  const b = Math.round(255 - 80 * t);
  return `rgb(${r},${g},${b})`;
}

/** Diverging: red (−1) ← white (0) → blue (+1). */
export function diverging(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  if (t >= 0) return blue(t);
  const s = -t;
  return `rgb(${Math.round(255 - 55 * s)},${Math.round(255 - 200 * s)},${Math.round(255 - 200 * s)})`;
}

/**
 * A T×T matrix (row-major) as a square heatmap filling the canvas; values scaled by the
 * matrix's largest value when `normalise`, else taken as they are (attention rows sum to 1).
 */
export function drawMatrix(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  T: number,
  { normalise = false }: { normalise?: boolean } = {},
): void {
  const { ctx, W, H } = cleared(canvas);
  let max = 1;
  if (normalise) {
    max = 0;
    for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
    max ||= 1;
  }
  const cw = W / T;
  const ch = H / T;
  for (let r = 0; r < T; r++) {
    for (let c = 0; c < T; c++) {
      const v = values[r * T + c]! / max;
      if (v <= 0) continue;
      ctx.fillStyle = blue(v);
      ctx.fillRect(c * cw, r * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
}

/** The cell (row, column) of a T×T heatmap under a mouse event, or undefined outside. */
export function cellAt(
  canvas: HTMLCanvasElement,
  event: MouseEvent,
  T: number,
): { row: number; col: number } | undefined {
  const rect = canvas.getBoundingClientRect();
  const col = Math.floor(((event.clientX - rect.left) / rect.width) * T);
  const row = Math.floor(((event.clientY - rect.top) / rect.height) * T);
  if (row < 0 || col < 0 || row >= T || col >= T) return undefined;
  return { row, col };
}

/** A visible rendering of a token: spaces and newlines shown as ␣ and ⏎. */
export function showToken(token: string): string {
  return token.replace(/ /g, '␣').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}

/**
 * Tokens as a strip of cells coloured by a signed score (saliency): red negative, blue positive,
 * scaled by the largest magnitude; the target position is outlined.
 */
export function drawTokenStrip(
  canvas: HTMLCanvasElement,
  tokens: readonly string[],
  scores: ArrayLike<number>,
  target: number,
): void {
  const { ctx, W, H } = cleared(canvas);
  let max = 0;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, Math.abs(scores[i]!));
  max ||= 1;
  const cw = W / tokens.length;
  ctx.font = `${Math.min(16, Math.floor(cw * 0.8))}px monospace`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  tokens.forEach((t, i) => {
    ctx.fillStyle = diverging(scores[i]! / max);
    ctx.fillRect(i * cw, 0, Math.ceil(cw), H);
    ctx.fillStyle = '#111';
    ctx.fillText(showToken(t), i * cw + cw / 2, H / 2);
  });
  ctx.strokeStyle = '#e67e22';
  ctx.lineWidth = 2;
  ctx.strokeRect(target * cw + 1, 1, cw - 2, H - 2);
}

/**
 * The logit lens: one row per layer (embeddings at the top), one column per position; each cell
 * shows the top token read out at that depth, shaded by its probability.
 */
export function drawLens(
  canvas: HTMLCanvasElement,
  lens: readonly { top: readonly string[]; probability: ArrayLike<number> }[],
): void {
  const { ctx, W, H } = cleared(canvas);
  const rows = lens.length;
  const names = lens.map((_, l) => (l === 0 ? 'embed' : `layer ${l}`));
  // The label column fits the longest name in the labels' own font (12 px monospace).
  ctx.font = '12px monospace';
  const label = Math.ceil(Math.max(...names.map((n) => ctx.measureText(n).width))) + 8;
  const cols = lens[0]?.top.length ?? 0;
  if (!cols) return;
  const cw = (W - label) / cols;
  const ch = H / rows;
  ctx.font = `${Math.min(14, Math.floor(Math.min(cw, ch) * 0.8))}px monospace`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  lens.forEach(({ top, probability }, l) => {
    ctx.fillStyle = '#333';
    ctx.textAlign = 'left';
    ctx.font = '12px monospace';
    ctx.fillText(names[l]!, 2, l * ch + ch / 2);
    ctx.font = `${Math.min(14, Math.floor(Math.min(cw, ch) * 0.8))}px monospace`;
    ctx.textAlign = 'center';
    top.forEach((t, i) => {
      const p = probability[i]!;
      ctx.fillStyle = blue(p);
      ctx.fillRect(label + i * cw, l * ch, Math.ceil(cw), Math.ceil(ch));
      ctx.fillStyle = p > 0.55 ? '#fff' : '#111';
      ctx.fillText(showToken(t), label + i * cw + cw / 2, l * ch + ch / 2);
    });
  });
}
