import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalFileUploads, type SharedFile } from './local-file-uploads.ts';

/**
 * A stand-in for the Slack Web API on 127.0.0.1: it answers the methods the bot uses with
 * Slack-shaped bodies, keeps the state a reader would see (messages by channel and ts, views,
 * what each response_url last showed) and records every call. The end-to-end tests assert on
 * the record; the local console renders it. Point the app's `apiUrl` at `url` and give the app
 * payloads whose response_url comes from `responseUrl()`.
 */

export interface WebApiCall {
  seq: number;
  /**
   * A Web API method (`chat.update`), `response_url` for a post to a response URL, or
   * `upload_url` for the bytes of a file upload.
   */
  method: string;
  body: Record<string, unknown>;
  at: Date;
  status: number;
  response: Record<string, unknown>;
  /** For response_url posts: the id in `/response/<id>`. */
  responseId?: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  updatedAt: Date;
  edits: number;
  /** The parent's ts for a reply in a thread. */
  threadTs?: string;
  /** Slack message metadata (`event_type`, `event_payload`), as posted. */
  metadata?: unknown;
}

export interface FailureRule {
  error: string;
  /** HTTP status; 429 for `ratelimited` unless given. */
  status?: number;
  /** Seconds in the Retry-After header (rate limits). */
  retryAfterSec?: number;
  /** How many calls fail before the method works again (default 1). */
  times?: number;
}

/**
 * A Slack that does not answer: `hang` never answers and does nothing; `lose-reply` does the call
 * (a post is stored) and never answers; `reset` does the call and then drops the connection.
 */
export interface FaultRule {
  mode: 'hang' | 'lose-reply' | 'reset';
  /** How many calls it applies to (default every call until cleared). */
  times?: number;
}

export interface LocalWebApiOptions {
  /** The bot token the app must send as `Authorization: Bearer <token>`. */
  token: string;
  /** User group id -> member user ids, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  /** The app-level (xapp-) token apps.connections.open must be called with (Socket Mode). */
  appToken?: string;
  /** The WebSocket URL apps.connections.open hands out (a loopback Socket Mode server). */
  socketUrl?: string;
  clock?: () => Date;
}

type Handler = (body: Record<string, unknown>) => Record<string, unknown>;

export const BOT_USER_ID = 'U0SCHEDBOT';

export class LocalWebApi {
  readonly calls: WebApiCall[] = [];
  /** channel -> ts -> message: what a channel looks like after every post and edit. */
  readonly messages = new Map<string, StoredMessage>();
  readonly views = new Map<string, Record<string, unknown>>();
  /** response id -> the last message posted to that response_url. */
  readonly responses = new Map<string, Record<string, unknown>>();
  /** Files uploaded with files.uploadV2, with their bytes. */
  readonly uploads = new LocalFileUploads();
  private readonly usergroups: Map<string, string[]>;
  private readonly failures = new Map<string, FailureRule & { left: number }>();
  private readonly listeners = new Set<(call: WebApiCall) => void>();
  private readonly clock: () => Date;
  private server: Server | undefined;
  private baseUrl = '';
  private counter = 0;
  private heldResponses: Promise<void> | undefined;
  private socketUrl: string | undefined;
  private readonly heldMethods = new Map<string, Promise<void>>();
  private readonly faults = new Map<string, FaultRule & { left: number }>();
  /** Connections of calls that were never answered, until `breakHungConnections`. */
  private readonly hung = new Set<ServerResponse>();

  constructor(private readonly options: LocalWebApiOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.usergroups = new Map(Object.entries(options.usergroups ?? {}));
    this.socketUrl = options.socketUrl;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The Web API base URL for WebClient's `slackApiUrl` (ends with a slash). */
  get url(): string {
    return `${this.baseUrl}/api/`;
  }

  /** A fresh response_url that records what the app posts to it. */
  responseUrl(id = `r${++this.counter}`): string {
    return `${this.baseUrl}/response/${id}`;
  }

  onCall(listener: (call: WebApiCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes the next `times` calls of a method fail as Slack would (ratelimited, channel_not_found ...). */
  failNext(method: string, rule: FailureRule): void {
    this.failures.set(method, { ...rule, left: rule.times ?? 1 });
  }

  /** Makes calls of a method go unanswered (hang, lose the reply, reset): see FaultRule. */
  faultNext(method: string, rule: FaultRule): void {
    this.faults.set(method, { ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The unanswered connections are closed at last (what a proxy or a restart does to them). */
  breakHungConnections(): void {
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
  }

  /** Where apps.connections.open sends the app next (Socket Mode). */
  setSocketUrl(url: string): void {
    this.socketUrl = url;
  }

  setUsergroup(id: string, users: string[]): void {
    this.usergroups.set(id, users);
  }

  /**
   * Holds every response_url post (recorded at once, answered later) until the returned function
   * is called: proves a handler acknowledged Slack before it finished its work.
   */
  holdResponses(): () => void {
    let release = () => {};
    this.heldResponses = new Promise<void>((resolve) => {
      release = () => {
        this.heldResponses = undefined;
        resolve();
      };
    });
    return release;
  }

  /**
   * Holds every call of a Web API method (answered once the returned function is called, then
   * recorded): a slow Slack, to prove a handler acknowledged its request before calling it.
   */
  holdMethod(method: string): () => void {
    let release = () => {};
    this.heldMethods.set(
      method,
      new Promise<void>((resolve) => {
        release = () => {
          this.heldMethods.delete(method);
          resolve();
        };
      }),
    );
    return release;
  }

  /** The first recorded call (past or future) that matches, or a rejection after `timeoutMs`. */
  waitFor(predicate: (call: WebApiCall) => boolean, timeoutMs = 20_000): Promise<WebApiCall> {
    const seen = this.calls.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no matching Slack Web API call within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onCall((call) => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        stop();
        resolve(call);
      });
    });
  }

  callsTo(method: string): WebApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(`${channel}/${ts}`);
  }

  /** Files shared in a channel or thread (files.completeUploadExternal), in upload order. */
  sharedFiles(): SharedFile[] {
    return this.uploads.shared();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const raw = await readBody(req);
    if (req.method === 'POST' && path.startsWith('/upload/')) {
      const fileId = decodeURIComponent(path.slice('/upload/'.length));
      const status = await this.uploads.receive(fileId, req.headers['content-type'], raw);
      this.record({
        method: 'upload_url',
        body: { file_id: fileId, bytes: raw.length },
        status,
        response: {},
      });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? `OK - ${raw.length}` : 'upload failed');
      return;
    }
    const body = parseBody(req.headers['content-type'], raw.toString('utf8'));
    if (req.method === 'POST' && path.startsWith('/response/')) {
      const responseId = decodeURIComponent(path.slice('/response/'.length));
      this.responses.set(responseId, body);
      this.record({ method: 'response_url', body, status: 200, response: { ok: true }, responseId });
      if (this.heldResponses) await this.heldResponses;
      return send(res, 200, { ok: true });
    }
    if (req.method !== 'POST' || !path.startsWith('/api/'))
      return send(res, 404, { ok: false, error: 'not_found' });

    const method = path.slice('/api/'.length);
    const held = this.heldMethods.get(method);
    if (held) await held;
    const fault = this.takeFault(method);
    if (fault === 'hang') {
      this.record({ method, body, status: 0, response: { fault: 'hang' } });
      this.hung.add(res);
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? body.token;
    const failure = this.failures.get(method);
    let status = 200;
    let response: Record<string, unknown>;
    const headers: Record<string, string> = {};
    // apps.connections.open is the one method called with the app-level token, never the bot's.
    const expected = method === 'apps.connections.open' ? this.options.appToken : this.options.token;
    if (!expected || token !== expected) {
      response = { ok: false, error: token ? 'invalid_auth' : 'not_authed' };
    } else if (failure && failure.left > 0) {
      failure.left -= 1;
      status = failure.status ?? (failure.error === 'ratelimited' ? 429 : 200);
      if (failure.retryAfterSec !== undefined) headers['retry-after'] = String(failure.retryAfterSec);
      response = { ok: false, error: failure.error };
    } else {
      const handler = this.handlers[method];
      response = handler ? handler(body) : { ok: false, error: 'unknown_method' };
    }
    this.record({ method, body, status, response });
    if (fault === 'lose-reply') {
      this.hung.add(res);
      return;
    }
    if (fault === 'reset') {
      res.socket?.destroy();
      return;
    }
    send(res, status, response, headers);
  }

  private takeFault(method: string): FaultRule['mode'] | undefined {
    const fault = this.faults.get(method);
    if (!fault || fault.left <= 0) return undefined;
    fault.left -= 1;
    return fault.mode;
  }

  private record(call: Omit<WebApiCall, 'seq' | 'at'>): void {
    const full: WebApiCall = { ...call, seq: this.calls.length + 1, at: this.clock() };
    this.calls.push(full);
    for (const listener of this.listeners) listener(full);
  }

  private nextTs(): string {
    return `${Math.floor(this.clock().getTime() / 1000)}.${String(++this.counter).padStart(6, '0')}`;
  }

  private readonly handlers: Record<string, Handler> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://sched-bot.slack.com/',
      team: 'sched-bot',
      user: 'sched-bot',
      team_id: 'T0SCHED01',
      user_id: BOT_USER_ID,
      bot_id: 'B0SCHEDBOT',
      is_enterprise_install: false,
    }),
    'chat.postMessage': (body) => {
      const channel = String(body.channel ?? '');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const ts = this.nextTs();
      const message = this.store(channel, ts, body, 0);
      return {
        ok: true,
        channel,
        ts,
        message: { type: 'message', ts, text: message.text, blocks: message.blocks },
      };
    },
    'chat.update': (body) => {
      const channel = String(body.channel ?? '');
      const ts = String(body.ts ?? '');
      const existing = this.message(channel, ts);
      if (!existing) return { ok: false, error: 'message_not_found' };
      const message = this.store(channel, ts, body, existing.edits + 1);
      return {
        ok: true,
        channel,
        ts,
        text: message.text,
        message: { text: message.text, blocks: message.blocks },
      };
    },
    'conversations.history': (body) => {
      const channel = String(body.channel ?? '');
      const oldest = Number(body.oldest ?? 0);
      const found = this.channelMessages(channel)
        .filter((m) => !m.threadTs && Number(m.ts) >= oldest)
        .reverse()
        .slice(0, Number(body.limit ?? 100));
      return { ok: true, messages: found.map((m) => this.historyShape(m, body)), has_more: false };
    },
    'conversations.replies': (body) => {
      const channel = String(body.channel ?? '');
      const parent = String(body.ts ?? '');
      const thread = this.channelMessages(channel).filter((m) => m.ts === parent || m.threadTs === parent);
      if (!thread.some((m) => m.ts === parent)) return { ok: false, error: 'thread_not_found' };
      return { ok: true, messages: thread.map((m) => this.historyShape(m, body)), has_more: false };
    },
    'chat.postEphemeral': (body) =>
      body.channel && body.user
        ? { ok: true, message_ts: this.nextTs() }
        : { ok: false, error: 'channel_not_found' },
    'views.open': (body) =>
      body.trigger_id ? this.saveView(body.view) : { ok: false, error: 'invalid_trigger_id' },
    'views.push': (body) =>
      body.trigger_id ? this.saveView(body.view) : { ok: false, error: 'invalid_trigger_id' },
    'views.update': (body) => {
      const id = String(body.view_id ?? '');
      if (id && !this.views.has(id)) return { ok: false, error: 'not_found' };
      return this.saveView(body.view, id || undefined);
    },
    'views.publish': (body) =>
      body.user_id
        ? this.saveView(body.view, `home-${String(body.user_id)}`)
        : { ok: false, error: 'invalid_arguments' },
    'apps.connections.open': () =>
      this.socketUrl ? { ok: true, url: this.socketUrl } : { ok: false, error: 'internal_error' },
    'usergroups.users.list': (body) => {
      const users = this.usergroups.get(String(body.usergroup ?? ''));
      return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
    },
    'files.getUploadURLExternal': (body) => this.uploads.uploadUrl(body, this.baseUrl),
    'files.completeUploadExternal': (body) => this.uploads.complete(body),
    'users.info': (body) => ({
      ok: true,
      user: { id: body.user, name: String(body.user).toLowerCase(), tz: 'America/New_York' },
    }),
  };

  private store(channel: string, ts: string, body: Record<string, unknown>, edits: number): StoredMessage {
    const previous = this.message(channel, ts);
    const threadTs = body.thread_ts === undefined ? previous?.threadTs : String(body.thread_ts);
    // chat.update keeps the metadata unless it sends new metadata.
    const metadata = body.metadata ?? previous?.metadata;
    const message: StoredMessage = {
      channel,
      ts,
      text: String(body.text ?? ''),
      blocks: Array.isArray(body.blocks) ? body.blocks : [],
      updatedAt: this.clock(),
      edits,
      ...(threadTs ? { threadTs } : {}),
      ...(metadata === undefined ? {} : { metadata }),
    };
    this.messages.set(`${channel}/${ts}`, message);
    return message;
  }

  /** A channel's messages, oldest first. */
  private channelMessages(channel: string): StoredMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.channel === channel)
      .sort((a, b) => (a.ts === b.ts ? 0 : a.ts < b.ts ? -1 : 1));
  }

  /** A message as conversations.history shows it: metadata only when asked for. */
  private historyShape(m: StoredMessage, body: Record<string, unknown>): Record<string, unknown> {
    const withMetadata = String(body.include_all_metadata) === 'true';
    return {
      type: 'message',
      ts: m.ts,
      text: m.text,
      bot_id: 'B0SCHEDBOT',
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
    };
  }

  private saveView(view: unknown, id?: string): Record<string, unknown> {
    if (!view || typeof view !== 'object') return { ok: false, error: 'invalid_arguments' };
    const viewId = id ?? `V${String(++this.counter).padStart(8, '0')}`;
    const saved = { ...(view as Record<string, unknown>), id: viewId, team_id: 'T0SCHED01' };
    this.views.set(viewId, saved);
    return { ok: true, view: saved };
  }
}

/** The raw bytes: file uploads are binary; everything else is decoded as UTF-8 by the caller. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** WebClient sends form fields with JSON-encoded blocks and views; response_url posts are JSON. */
function parseBody(contentType: string | undefined, raw: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { raw };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    out[key] = /^[[{]/.test(value) ? tryJson(value) : value;
  }
  return out;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
