import { createServer, type ServerResponse } from 'node:http';

/**
 * A loopback stand-in for a Healthchecks.io-style monitor: records every ping (method and path)
 * and answers as told: 200, 500, or never (to prove a hung monitor does not hold a step up).
 */
export interface HeartbeatServer {
  /** The check's URL, with a token in its path as Healthchecks.io gives one. */
  url: string;
  token: string;
  pings: string[];
  answer: 'ok' | 'error' | 'hang';
  close(): Promise<void>;
}

export async function startHeartbeatServer(): Promise<HeartbeatServer> {
  const held: ServerResponse[] = [];
  const token = '5f3c1a9e-7b2d-4c8e-9a10-heartbeatTok';
  const state: Omit<HeartbeatServer, 'url' | 'close'> = { token, pings: [], answer: 'ok' };
  const server = createServer((req, res) => {
    state.pings.push(`${req.method} ${req.url}`);
    if (state.answer === 'hang') {
      held.push(res);
      return;
    }
    res.writeHead(state.answer === 'ok' ? 200 : 500, { 'content-type': 'text/plain' });
    res.end(state.answer === 'ok' ? 'OK' : 'oops');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/ping/${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
