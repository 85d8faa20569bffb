import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { LocalWebApi } from './local-web-api.ts';

/**
 * Files the bot shares (the coverage chart) in the local console: a terminal cannot show an
 * image, so each one is written to a directory of its own under the system's temp directory and
 * the console prints its path.
 */

export interface SharedFileNotice {
  kind: 'file';
  files: { id: string; title: string; name: string }[];
  channelId: string;
  threadTs: string | undefined;
}

export class SharedFileSaver {
  private dir: string | undefined;

  constructor(private readonly api: Pick<LocalWebApi, 'uploads'>) {}

  /** Writes each shared file; returns one line per file saying where it went. */
  save(notice: SharedFileNotice): string[] {
    return notice.files.map((file) => {
      const bytes = this.api.uploads.files.get(file.id)?.bytes;
      if (!bytes) return `${file.title}: the file's bytes never arrived`;
      this.dir ??= mkdtempSync(join(tmpdir(), 'sched-bot-files-'));
      // basename: the name comes from the app, but a path must not leave the directory.
      const path = join(this.dir, basename(file.name) || file.id);
      writeFileSync(path, bytes);
      return `${file.title}: the console cannot show images; saved to ${path}`;
    });
  }
}
