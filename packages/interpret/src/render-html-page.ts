import { escapeXml } from './escape-xml.js';

/** One part of an HTML report: a heading, an SVG (from {@link renderHeatmapSvg}) and a caption. */
export interface HtmlSection {
  heading: string;
  svg: string;
  caption?: string;
}

/**
 * A self-contained HTML page (a string, no scripts, no external files) of SVG figures with
 * headings and captions: what an `explain` command writes.
 *
 * @example
 * ```ts
 * const html = renderHtmlPage('explain', [{ heading: 'layer 0', svg: renderHeatmapSvg([[1]]) }]);
 * ```
 */
export function renderHtmlPage(title: string, sections: readonly HtmlSection[]): string {
  const body = sections
    .map(
      (s) =>
        `<section>\n<h2>${escapeXml(s.heading)}</h2>\n${s.svg}\n${s.caption ? `<p>${escapeXml(s.caption)}</p>\n` : ''}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}section{margin-bottom:2em}svg{max-width:100%;height:auto}p{color:#444}</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
${body}
</body>
</html>
`;
}
