import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';

/**
 * files.uploadV2 against the Web API stand-in: files.getUploadURLExternal, the bytes posted to
 * the returned URL, files.completeUploadExternal. The stand-in keeps the bytes it received and
 * where the file was shared, so tests can check what would appear in Slack.
 */

const TOKEN = 'xoxb-upload-test';

describe('LocalWebApi file uploads', () => {
  let api: LocalWebApi;
  let client: webApi.WebClient;
  beforeAll(async () => {
    api = new LocalWebApi({ token: TOKEN });
    await api.start();
    client = new webApi.WebClient(TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
  });
  afterAll(() => api.stop());

  it('takes the three steps of files.uploadV2 and keeps the exact bytes, channel and thread', async () => {
    // Every byte value, including the ones a text decoding would mangle.
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
    const result = await client.files.uploadV2({
      channel_id: 'C1',
      thread_ts: '1700000000.000100',
      file: bytes,
      filename: 'chart.png',
      title: 'A chart',
      alt_text: 'What the chart shows',
      initial_comment: 'Here it is',
    });
    expect(result.ok).toBe(true);
    const methods = api.calls.map((c) => c.method);
    expect(methods).toEqual(['files.getUploadURLExternal', 'upload_url', 'files.completeUploadExternal']);
    const [file] = api.sharedFiles();
    expect(file).toMatchObject({
      filename: 'chart.png',
      title: 'A chart',
      altText: 'What the chart shows',
      channel: 'C1',
      threadTs: '1700000000.000100',
      initialComment: 'Here it is',
    });
    expect(file?.bytes.equals(bytes)).toBe(true);
    const completed = api.callsTo('files.completeUploadExternal')[0]?.response;
    expect(completed).toMatchObject({ ok: true, files: [{ id: file?.id, name: 'chart.png', size: 4096 }] });
  });

  it('refuses to complete a file whose bytes never arrived, or arrived short', async () => {
    const url = await client.files.getUploadURLExternal({ filename: 'x.png', length: 10 });
    const complete = () =>
      client.files.completeUploadExternal({ files: [{ id: String(url.file_id) }], channel_id: 'C1' });
    await expect(complete()).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    await fetch(String(url.upload_url), { method: 'POST', body: new Uint8Array(3) });
    await expect(complete()).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    await expect(client.files.getUploadURLExternal({ filename: 'y.png', length: 0 })).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
  });

  it('fails an upload as told (not_in_channel), like any other method', async () => {
    api.failNext('files.completeUploadExternal', { error: 'not_in_channel' });
    await expect(
      client.files.uploadV2({ channel_id: 'C9', file: Buffer.from('png'), filename: 'c.png' }),
    ).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    expect(api.sharedFiles().some((f) => f.channel === 'C9')).toBe(false);
  });
});
