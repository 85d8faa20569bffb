import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../src/console/sign-request.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { ADMIN, type SlackHarness, startSlackHarness } from '../support/fake-slack.ts';

describe.each(backends())('odd signed payloads on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it.each([
    ['payload=null', 'application/x-www-form-urlencoded', 'payload=null'],
    ['JSON null', 'application/json', 'null'],
  ] as const)('answers a signed %s with 400 and keeps serving', async (_, contentType, body) => {
    const res = await h.send({ contentType, body });
    expect(res.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    const after = await h.send(
      buildCommand({
        command: '/sched-history',
        text: '',
        userId: ADMIN,
        responseUrl: h.api.responseUrl('after'),
      }),
    );
    expect(after.status).toBe(200);
  });
});
