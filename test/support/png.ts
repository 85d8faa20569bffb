import { inflateSync } from 'node:zlib';

/**
 * A small PNG decoder for tests: walks the chunks (checking each CRC), reads IHDR and inflates
 * the image data, which must hold exactly one filter byte plus one row of pixels per line.
 * Enough to prove a file is a whole, decodable PNG of a given size without an image library.
 */

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Channels per pixel by IHDR colour type (grey, RGB, palette, grey + alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** The inflated scanlines (filter byte + pixels per row). */
  scanlines: Buffer;
}

export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  let offset = 8;
  let header: Omit<DecodedPng, 'scanlines'> | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw new Error(`truncated ${type} chunk`);
    const crc = png.readUInt32BE(offset + 8 + length);
    if (crc !== crc32(png.subarray(offset + 4, offset + 8 + length))) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body.readUInt8(8),
        colorType: body.readUInt8(9),
      };
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    offset += 12 + length;
  }
  if (!header) throw new Error('no IHDR chunk');
  if (!ended) throw new Error('no IEND chunk');
  const channels = CHANNELS[header.colorType];
  if (channels === undefined) throw new Error(`unknown colour type ${header.colorType}`);
  const scanlines = inflateSync(Buffer.concat(data));
  const rowBytes = Math.ceil((header.width * channels * header.bitDepth) / 8);
  if (scanlines.length !== header.height * (1 + rowBytes)) {
    throw new Error(
      `image data holds ${scanlines.length} bytes, not ${header.height} rows of ${1 + rowBytes}`,
    );
  }
  return { ...header, scanlines };
}

/** The pixels as RGBA rows (8-bit RGB or RGBA images only): the scanlines with their filters undone. */
export function rgbaPixels(png: DecodedPng): Uint8Array {
  const channels = CHANNELS[png.colorType];
  if (png.bitDepth !== 8 || (channels !== 3 && channels !== 4)) throw new Error('only 8-bit RGB(A) is read');
  const rowBytes = png.width * channels;
  const raw = new Uint8Array(png.height * rowBytes);
  for (let y = 0; y < png.height; y++) {
    const filter = png.scanlines[y * (rowBytes + 1)];
    for (let i = 0; i < rowBytes; i++) {
      const x = png.scanlines[y * (rowBytes + 1) + 1 + i] ?? 0;
      const a = i >= channels ? (raw[y * rowBytes + i - channels] ?? 0) : 0;
      const b = y > 0 ? (raw[(y - 1) * rowBytes + i] ?? 0) : 0;
      const c = y > 0 && i >= channels ? (raw[(y - 1) * rowBytes + i - channels] ?? 0) : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter ?? 0];
      if (predictor === undefined) throw new Error(`unknown filter ${filter} on row ${y}`);
      raw[y * rowBytes + i] = (x + predictor) & 0xff;
    }
  }
  if (channels === 4) return raw;
  const out = new Uint8Array(png.width * png.height * 4);
  for (let p = 0; p < png.width * png.height; p++) {
    out.set(raw.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = 255;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** How many pixels have exactly this opaque colour (`#rrggbb`). */
export function countColor(pixels: Uint8Array, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let p = 0; p < pixels.length; p += 4) {
    if (pixels[p] === r && pixels[p + 1] === g && pixels[p + 2] === b && pixels[p + 3] === 255) n += 1;
  }
  return n;
}

/** How many opaque pixels are near black: the chart's text (titles, labels, legend) and nothing else. */
export function countDark(pixels: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < pixels.length; p += 4) {
    if ((pixels[p] ?? 255) < 70 && (pixels[p + 1] ?? 255) < 70 && (pixels[p + 2] ?? 255) < 70) n += 1;
  }
  return n;
}
