import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-botTokenValue',
  SLACK_SIGNING_SECRET: 'f3c1d5signingSecretValue9e',
  SLACK_APP_TOKEN: 'xapp-1-A111-appTokenValue',
  CRON_SECRET: 'cronSecretValue-7f3a',
  OPENAI_API_KEY: 'sk-proj-openaiKeyValue123456',
  ANTHROPIC_API_KEY: 'sk-ant-anthropicKeyValue123',
  GEMINI_API_KEY: 'AIzaGeminiKeyValue0000',
  PERPLEXITY_API_KEY: 'pplx-perplexityKeyValue',
  HEARTBEAT_URL: 'https://hc.example/ping/heartbeatTokenValue',
};
const DB_PASSWORD = 'dbPasswordValue-31';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: stream }), text: () => chunks.join('') };
}

const expectNoSecret = (output: string) => {
  for (const value of [...Object.values(SECRETS), DB_PASSWORD]) expect(output).not.toContain(value);
};

describe('log redaction', () => {
  const config = loadConfig({
    ...SECRETS,
    DATABASE_URL: `postgres://sched:${DB_PASSWORD}@db.internal:5432/sched`,
    SLACK_REPORT_CHANNEL: 'C0REPORTS',
  });
  const headers = {
    authorization: `Bearer ${SECRETS.OPENAI_API_KEY}`,
    'x-api-key': SECRETS.ANTHROPIC_API_KEY,
    'x-goog-api-key': SECRETS.GEMINI_API_KEY,
    'x-cron-secret': SECRETS.CRON_SECRET,
    'x-slack-signature': 'v0=abcdef',
    'content-type': 'application/json',
  };

  it('hides every key and token of a logged config, wherever it sits', () => {
    const { logger, text } = capture();
    logger.info({ config }, 'config as a field');
    logger.info(config as unknown as Record<string, unknown>, 'config as the object');
    logger.info({ deps: { runtime: { config } } }, 'config nested deeper');
    logger.info({ providers: config.providers }, 'providers alone');
    const output = text();
    expectNoSecret(output);
    // The rest of the config is still there: redaction is targeted, not a blank line.
    expect(output).toContain('C0REPORTS');
    expect(output).toContain('gpt-4o-mini');
    expect(output).toContain('[redacted]');
    expect(output.trim().split('\n')).toHaveLength(4);
  });

  it('hides credentials in request headers, errors and messages', () => {
    const { logger, text } = capture();
    logger.info({ headers }, 'provider request');
    logger.warn({ req: { method: 'POST', headers } }, 'cron request');
    logger.error(
      { err: new Error(`connect ECONNREFUSED postgres://sched:${DB_PASSWORD}@db.internal:5432/sched`) },
      'database down',
    );
    logger.info(`posting with token ${SECRETS.SLACK_BOT_TOKEN} and key ${SECRETS.OPENAI_API_KEY}`);
    const output = text();
    expectNoSecret(output);
    expect(output).toContain('application/json');
    expect(output).toContain('ECONNREFUSED');
    expect(output).toContain('db.internal');
  });

  it('keeps non-secret fields and does not touch the logged object', () => {
    const { logger, text } = capture();
    const input = {
      runId: 42,
      taskId: 7,
      tokensIn: 12,
      apiKey: 'k',
      nested: { token: 't', provider: 'openai' },
    };
    const copy = structuredClone(input);
    logger.info(input, 'fields');
    expect(JSON.parse(text())).toMatchObject({
      runId: 42,
      taskId: 7,
      tokensIn: 12,
      apiKey: '[redacted]',
      nested: { token: '[redacted]', provider: 'openai' },
    });
    expect(input).toEqual(copy);
  });

  it('prints a shared object twice and survives a cycle', () => {
    const { logger, text } = capture();
    const shared = { provider: 'gemini' };
    const cyclic: Record<string, unknown> = { name: 'loop', token: SECRETS.SLACK_BOT_TOKEN };
    cyclic.self = cyclic;
    logger.info({ a: shared, b: shared, cyclic }, 'shapes');
    const line = JSON.parse(text());
    expect(line.a).toEqual({ provider: 'gemini' });
    expect(line.b).toEqual({ provider: 'gemini' });
    expect(line.cyclic.name).toBe('loop');
    expectNoSecret(text());
  });

  it("logs a failed query as its statement and the database's error, not its parameters", () => {
    const { logger, text } = capture();
    // What drizzle throws: the statement, every parameter (a prompt's text, a 5 KB batch), the
    // driver's error as the cause.
    const prompt = `Which CRM do agencies use? ${'lorem ipsum '.repeat(400)}`;
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "x"'), {
      code: '23505',
    });
    const statement = `insert into prompt_provider_responses (prompt_id, text) values ($1, $2)`;
    logger.error({ err: new DrizzleQueryError(statement, ['p-1', prompt], cause) }, 'database write failed');
    const output = text();
    expect(output).not.toContain('lorem ipsum');
    expect(output.length).toBeLessThan(3_000);
    const line = JSON.parse(output);
    expect(line.err.message).toContain('insert into prompt_provider_responses');
    expect(line.err.params).toBe('2 parameters, not logged');
    expect(JSON.stringify(line.err)).toContain('duplicate key value violates unique constraint');
    expect(JSON.stringify(line.err)).toContain('23505');
  });
});
