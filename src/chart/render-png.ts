import type { TopLevelSpec } from 'vega-lite';

/**
 * vega-lite spec -> SVG (vega's headless View, renderer 'none') -> PNG (resvg, prebuilt binary):
 * no browser, no canvas, no native build step. The three libraries load on first use, so the
 * commands that draw nothing do not pay for them.
 *
 * resvg draws text only with fonts it finds: it loads the system fonts and falls back to DejaVu
 * Sans (Debian's fonts-dejavu-core). A machine without any font gets a chart without labels.
 */

/** Pixels per CSS pixel: sharp on high-density screens, where Slack shows most images. */
export const PNG_SCALE = 2;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderPng(spec: TopLevelSpec, scale = PNG_SCALE): Promise<Buffer> {
  const svg = await renderSvg(spec);
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return resvg.render().asPng();
}
