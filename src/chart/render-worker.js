// The chart's renderer, run in a worker thread by render-png.ts: vega-lite spec -> SVG (vega's
// headless View, renderer 'none') -> PNG (resvg, a prebuilt binary): no browser, no canvas, no
// native build step. Rendering takes a CPU-second or more; off the main thread it cannot hold up
// Slack's acks, Socket Mode's pings or a keep-alive connection. Plain JavaScript so the worker
// needs no TypeScript loader, whichever process (tsx, vitest) starts it.
//
// resvg draws text only with fonts it finds: it loads the system fonts and falls back to DejaVu
// Sans (Debian's fonts-dejavu-core). A machine without any font gets a chart without labels.
import { parentPort, workerData } from 'node:worker_threads';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';

const { spec, scale } = workerData;
const view = new View(parse(compile(spec).spec), { renderer: 'none' });
let svg;
try {
  svg = await view.toSVG();
} finally {
  view.finalize();
}
const png = new Resvg(svg, {
  font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  fitTo: { mode: 'zoom', value: scale },
  background: 'white',
})
  .render()
  .asPng();
parentPort?.postMessage({ svg, png });
