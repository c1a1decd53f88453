import * as tf from '@tensorflow/tfjs-core';
import { assertNoLeaks, describeWithBackends, expectTensorsClose } from '@tformer/test-utils';
import { describe, expect, it } from 'vitest';
import { escapeXml } from './escape-xml.js';
import {
  attentionMaps,
  type BertvizSelfAttention,
  type BertvizSeq2Seq,
  bertvizJson,
  InterpretError,
  renderHeatmapSvg,
  renderHtmlPage,
  runWithCache,
} from './index.js';
import { tinyEncoderDecoder, tinyLM } from './testing/tiny-lm.js';

describeWithBackends('bertvizJson and activation patching', () => {
  it("writes bertviz's head_view format: tokens and per layer [1][heads][T][T]", async () => {
    const model = tinyLM();
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const maps = attentionMaps(model, ids);
    const json = (await bertvizJson({
      attention: maps.select(/weights$/),
      tokens: ['a', 'b', 'c'],
    })) as BertvizSelfAttention;
    expect(json.tokens).toEqual(['a', 'b', 'c']);
    expect(json.attention.length).toBe(2);
    expect(json.attention[0]!.length).toBe(1);
    expect(json.attention[0]![0]!.length).toBe(2);
    expect(json.attention[1]![0]![1]!.map((r) => r.length)).toEqual([3, 3, 3]);
    await expectTensorsClose(json.attention[1]!, maps.get('blocks.1.attn.weights'));
    await expect(
      bertvizJson({ attention: maps.select(/weights$/), tokens: ['a', 'b'] }),
    ).rejects.toThrow(InterpretError);
    maps.dispose();
    ids.dispose();
    model.dispose();
  });

  it('an encoder-decoder gets encoder, decoder and cross attention under head_view’s keywords', async () => {
    const model = tinyEncoderDecoder();
    const src = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const tgt = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const maps = attentionMaps(model, { src, tgt });
    const json = (await bertvizJson({
      encoderAttention: maps.select(/^encoder/),
      decoderAttention: maps.select(/selfAttn/),
      crossAttention: maps.select(/crossAttn/),
      encoderTokens: ['w', 'x', 'y', 'z'],
      decoderTokens: ['<s>', 'w'],
    })) as BertvizSeq2Seq;
    expect(json.cross_attention[0]![0]!.length).toBe(2); // heads
    expect(json.cross_attention[0]![0]![0]!.map((r) => r.length)).toEqual([4, 4]); // [T][S]
    expect(json.encoder_attention[0]![0]![0]!.length).toBe(4);
    maps.dispose();
    tf.dispose([src, tgt]);
    model.dispose();
  });

  it('patching a head with its own output from another run leaves the logits equal', async () => {
    const model = tinyLM();
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const { logits: clean, cache } = runWithCache(model, ids, ['blocks.1.attn.headOutput']);
    await assertNoLeaks(async () => {
      const patched = model.apply(ids, {
        hooks: { 'blocks.1.attn.headOutput': () => cache.get('blocks.1.attn.headOutput') },
      });
      await expectTensorsClose(patched, clean, { atol: 0, rtol: 0 });
      patched.dispose();
    });
    cache.dispose();
    tf.dispose([clean, ids]);
    model.dispose();
  });
});

describe('SVG and HTML rendering', () => {
  it('draws one cell per value, labels escaped, a tooltip per cell', () => {
    const svg = renderHeatmapSvg(
      [
        [1, 0],
        [0.25, 0.75],
      ],
      {
        rowLabels: ['<a>', ' b'],
        colLabels: ['x&y', '\n'],
        title: 'map "1"',
        cellText: [
          ['p', 'q'],
          ['r', 's'],
        ],
      },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect x=/g)!.length).toBe(4);
    expect(svg).toContain('&lt;a&gt;');
    expect(svg).toContain('x&amp;y');
    expect(svg).toContain('\\n'); // a newline token is visible
    expect(svg).toContain('map &quot;1&quot;');
    expect(svg).toContain('<title>&lt;a&gt; → x&amp;y: 1.000</title>');
    // The largest value is the darkest, the smallest white.
    expect(svg).toContain('fill="rgb(8,48,107)"');
    expect(svg).toContain('fill="rgb(255,255,255)"');
    const diverging = renderHeatmapSvg([[-2, 0, 2]], { diverging: true });
    expect(diverging).toContain('fill="rgb(0,0,255)"');
    expect(diverging).toContain('fill="rgb(255,0,0)"');
    expect(() => renderHeatmapSvg([[1], [1, 2]])).toThrow(InterpretError);
    expect(() => renderHeatmapSvg([[1]], { rowLabels: ['a', 'b'] })).toThrow(/rowLabels/);
  });

  it('a page wraps the figures; escapeXml drops control characters', () => {
    const html = renderHtmlPage('t<1>', [{ heading: 'h', svg: '<svg></svg>', caption: 'c&d' }]);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>t&lt;1&gt;</title>');
    expect(html).toContain('<svg></svg>');
    expect(html).toContain('<p>c&amp;d</p>');
    expect(escapeXml('a\u0001b"\'')).toBe('ab&quot;&#39;');
  });
});
