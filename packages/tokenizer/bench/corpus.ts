/**
 * Benchmark inputs, generated or assembled locally (no downloads), deterministic, ≥ 1 MB each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MB = 1 << 20;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in a is that for it as was with be by on not he I this are or his from at ' +
  'which but have an they you were her she there been one all we their has would when if so ' +
  'no will more what up out about who them some could into than then its other time only new ' +
  'people may these two like first any my now such over our even most made after also did ' +
  'many before must through years where much way well down should because each just those ' +
  'how too little state good very make world still own see men work long here get both ' +
  'between life being under never day same another know while last might us great old year ' +
  'off come since against go came right used take three himself few house use during without ' +
  'again place around however home small found thought went say part once general high upon ' +
  'school every does got united left number course war until always away something fact ' +
  'though water less public put think almost hand enough far took head yet government system ' +
  'better set told nothing night end why called didn eyes find going look asked later knew ' +
  'point next city business give group toward young let room president side social given ' +
  'present several order national possible rather second face per among form important often ' +
  'things looking early white case John become large big need four within felt along children ' +
  'saw best church ever least power development light thing seemed family interest want ' +
  'members mind country area others done turned although open problem sense certain kind ' +
  "it's don't I'm we've they'll she'd London Paris Shakespeare Tuesday 1984 2026 3.14 42%"
).split(' ');

function prose(bytes: number): string {
  const r = rng(1);
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    const n = 5 + Math.floor(r() * 20);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(r() * WORDS.length)]!);
    let s = words.join(' ');
    s = s[0]!.toUpperCase() + s.slice(1) + (r() < 0.8 ? '. ' : r() < 0.5 ? '? ' : '! ');
    if (r() < 0.1) s += '\n\n';
    else if (r() < 0.15) s = s.replace(' ', ', ');
    out.push(s);
    size += s.length;
  }
  return out.join('');
}

function code(dir: string, bytes: number): string {
  const files = readdirSync(dir)
    .filter((name) => /^lib\..*\.d\.ts$/.test(name))
    .sort()
    .map((name) => join(dir, name));
  let out = '';
  while (out.length < bytes) {
    for (const f of files) {
      out += readFileSync(f, 'utf8');
      if (out.length >= bytes) break;
    }
  }
  return out;
}

const CJK =
  '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里' +
  '後日本語の文章はとてもきれいですがあるいうこと東京都大阪市漢字仮名交じり文한국어문장입니다';
const CJK_PUNCT = '，。、！？「」（）：；';

function cjk(bytes: number): string {
  const r = rng(2);
  let out = '';
  const chars = [...CJK];
  while (new TextEncoder().encode(out).length < bytes) {
    let line = '';
    for (let i = 0; i < 2000; i++) {
      line += chars[Math.floor(r() * chars.length)];
      if (r() < 0.08) line += CJK_PUNCT[Math.floor(r() * CJK_PUNCT.length)];
      if (r() < 0.01) line += '\n';
      if (r() < 0.01) line += ` ${Math.floor(r() * 10000)} `;
    }
    out += line;
  }
  return out;
}

const EMOJI = [
  '😀',
  '😂',
  '🥲',
  '❤️',
  '👍',
  '👍🏽',
  '🙏🏿',
  '🎉',
  '🔥',
  '✨',
  '🚀',
  '🇫🇷',
  '🇯🇵',
  '🏳️‍🌈',
  '👩‍👩‍👧‍👦',
  '👨🏻‍💻',
  '🧑‍🚀',
  '🐱',
  '🌍',
  '☕',
  '✅',
  '❌',
  '🤖',
  '🫠',
  '1️⃣',
  '©️',
];

function emoji(bytes: number): string {
  const r = rng(3);
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const p =
      r() < 0.6
        ? EMOJI[Math.floor(r() * EMOJI.length)]!
        : r() < 0.7
          ? ` ${WORDS[Math.floor(r() * WORDS.length)]!} `
          : '\n';
    parts.push(p);
    size += new TextEncoder().encode(p).length;
  }
  return parts.join('');
}

/** The four benchmark inputs. */
export function corpora(workspaceRoot: string): Array<{ name: string; text: string }> {
  return [
    { name: 'English prose', text: prose(MB + 1024) },
    {
      name: 'Code',
      text: code(
        join(workspaceRoot, 'node_modules/.pnpm/typescript@5.9.3/node_modules/typescript/lib'),
        MB + 1024,
      ),
    },
    { name: 'CJK', text: cjk(MB) },
    { name: 'Emoji-heavy', text: emoji(MB) },
  ];
}
