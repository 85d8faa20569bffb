/**
 * The file side of the Web API stand-in (local-web-api.ts): the three steps of files.uploadV2.
 * files.getUploadURLExternal hands out a loopback upload URL and a file id; the client posts the
 * bytes there (raw, or multipart as @slack/web-api sends them); files.completeUploadExternal
 * shares the file in a channel or thread. Every file is kept with its bytes, so tests and the
 * local console see exactly what would appear in Slack.
 */

export interface LocalFile {
  id: string;
  filename: string;
  /** The length announced in files.getUploadURLExternal. */
  length: number;
  altText: string | undefined;
  bytes: Buffer | undefined;
  title: string | undefined;
  channel: string | undefined;
  threadTs: string | undefined;
  initialComment: string | undefined;
  shared: boolean;
}

export interface SharedFile extends LocalFile {
  bytes: Buffer;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

export class LocalFileUploads {
  readonly files = new Map<string, LocalFile>();
  private counter = 0;

  /** files.getUploadURLExternal, with `base` the stand-in's own origin. */
  uploadUrl(body: Record<string, unknown>, base: string): Record<string, unknown> {
    const filename = text(body.filename);
    const length = Number(body.length);
    if (!filename || !Number.isInteger(length) || length <= 0)
      return { ok: false, error: 'invalid_arguments' };
    const id = `F${String(++this.counter).padStart(9, '0')}`;
    this.files.set(id, {
      id,
      filename,
      length,
      altText: text(body.alt_text),
      bytes: undefined,
      title: undefined,
      channel: undefined,
      threadTs: undefined,
      initialComment: undefined,
      shared: false,
    });
    return { ok: true, upload_url: `${base}/upload/${id}`, file_id: id };
  }

  /** The POST to an upload URL: the HTTP status to answer with. */
  async receive(id: string, contentType: string | undefined, raw: Buffer): Promise<number> {
    const file = this.files.get(id);
    if (!file) return 404;
    file.bytes = contentType?.startsWith('multipart/form-data') ? await firstFilePart(contentType, raw) : raw;
    return file.bytes ? 200 : 400;
  }

  /** files.completeUploadExternal: each file must have arrived whole. */
  complete(body: Record<string, unknown>): Record<string, unknown> {
    const entries = Array.isArray(body.files) ? (body.files as { id?: unknown; title?: unknown }[]) : [];
    if (entries.length === 0) return { ok: false, error: 'invalid_arguments' };
    const files = entries.map((e) => this.files.get(String(e.id)));
    if (files.some((f) => !f?.bytes || f.bytes.length !== f.length))
      return { ok: false, error: 'file_not_found' };
    const channel = text(body.channel_id);
    const shared = (files as LocalFile[]).map((file, i) => {
      file.title = text(entries[i]?.title) ?? file.filename;
      file.channel = channel;
      file.threadTs = text(body.thread_ts);
      file.initialComment = text(body.initial_comment);
      file.shared = true;
      return {
        id: file.id,
        name: file.filename,
        title: file.title,
        mimetype: file.filename.endsWith('.png') ? 'image/png' : 'application/octet-stream',
        size: file.length,
        channels: channel ? [channel] : [],
      };
    });
    return { ok: true, files: shared };
  }

  /** Files shared in a channel, in upload order. */
  shared(): SharedFile[] {
    return [...this.files.values()].filter((f): f is SharedFile => f.shared && f.bytes !== undefined);
  }
}

/** The first file field of a multipart body (@slack/web-api posts the bytes as a form field). */
async function firstFilePart(contentType: string, raw: Buffer): Promise<Buffer | undefined> {
  try {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    for (const [, value] of form) {
      if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
    }
  } catch {
    // A malformed body is an upload that did not arrive.
  }
  return undefined;
}
