import { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';

/**
 * Renders a vega-lite spec to SVG and PNG in a worker thread (render-worker.js), one worker per
 * chart: charts are drawn a few times a night, and the worker's memory goes with it.
 */

/** Pixels per CSS pixel: sharp on high-density screens, where Slack shows most images. */
export const PNG_SCALE = 2;

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

export function renderChart(spec: TopLevelSpec, scale = PNG_SCALE): Promise<RenderedChart> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./render-worker.js', import.meta.url), {
      workerData: { spec, scale },
    });
    let done = false;
    worker.once('message', (message: { svg: string; png: Uint8Array }) => {
      done = true;
      resolve({ svg: message.svg, png: Buffer.from(message.png) });
    });
    worker.once('error', (error) => {
      done = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`the chart renderer stopped (exit code ${code}) without a chart`));
    });
  });
}

export async function renderPng(spec: TopLevelSpec, scale = PNG_SCALE): Promise<Buffer> {
  return (await renderChart(spec, scale)).png;
}
