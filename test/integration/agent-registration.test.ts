import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src/agent/agent-client.js';
import type { RegisterRequest } from '../../src/domain/nodes/agent-protocol.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let proxy: Server;
let proxyUrl: string;
/** Register requests whose answer the proxy dropped after the server had answered them. */
let dropped = 0;
let dropNext = false;

/**
 * Forwards to the server; when told, lets one register request reach the server (which commits
 * it) and then cuts the connection instead of answering: the agent's view of a timed-out request.
 */
function startProxy(target: string): Promise<void> {
  proxy = createServer((req, res) => {
    const upstream = request(
      `${target}${req.url ?? ''}`,
      { method: req.method, headers: req.headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          if (dropNext && req.url === '/api/agent/register') {
            dropNext = false;
            dropped++;
            req.socket.destroy();
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    proxy.listen(0, '127.0.0.1', () => {
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

const registration = (nodeToken: string): RegisterRequest => ({
  nodeToken,
  hostname: 'sim-host',
  pid: process.pid,
  agentVersion: '0.0.0',
  address: '127.0.0.1',
  capacity: { cores: 1, memoryMB: 1024, gpus: [], containerRuntime: null, defaultPython: 'python3' },
});

/** A local-target job's one-time node token (the only token the API hands out). */
async function nodeToken(name: string): Promise<string> {
  const submitted = await api(server.url, 'PUT', `/api/workspaces/default/jobs/${name}`, {
    spec: { command: 'true', compute: 'local' },
  });
  expect(submitted.status).toBe(201);
  return submitted.body.localAgentToken as string;
}

beforeAll(async () => {
  server = await startServerProcess({ config: { reconcileIntervalMs: 200 } });
  await startProxy(server.url);
}, 60_000);

afterAll(async () => {
  await new Promise((r) => proxy.close(r));
  await server.stop();
});

describe('node registration is retry-safe', () => {
  it("an agent whose registration answer was lost registers on its client's retry, as the node the server committed", async () => {
    const token = await nodeToken('reg-lost');
    const client = new AgentClient(
      proxyUrl,
      () => false,
      () => undefined,
    );
    dropNext = true;
    const session = await client.register(registration(token));
    expect(dropped).toBe(1);
    expect(session.nodeId).toMatch(/^local-/);
    // The session the retry answered is the node's: it heartbeats.
    client.sessionToken = session.sessionToken;
    expect(await client.heartbeat({ running: [] })).toMatchObject({ stop: [] });
  });

  it('asked again before the session is used: the same answer; after it is used: refused', async () => {
    const token = await nodeToken('reg-twice');
    const first = await api(server.url, 'POST', '/api/agent/register', registration(token), '');
    const again = await api(server.url, 'POST', '/api/agent/register', registration(token), '');
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    const beat = await api(
      server.url,
      'POST',
      '/api/agent/heartbeat',
      { running: [] },
      first.body.sessionToken,
    );
    expect(beat.status).toBe(200);
    const spent = await api(server.url, 'POST', '/api/agent/register', registration(token), '');
    expect(spent.status).toBe(401);
    expect(spent.body.error).toMatchObject({ code: 'Unauthenticated', target: 'nodeToken' });
    // The session itself is unaffected by the refused replay.
    const still = await api(
      server.url,
      'POST',
      '/api/agent/heartbeat',
      { running: [] },
      first.body.sessionToken,
    );
    expect(still.status).toBe(200);
  });
});

describe('a final report carrying the end of the logs', () => {
  /** A registered node holding the local job `name`, leased and Running. */
  async function runningJob(name: string): Promise<{ client: AgentClient; jobId: string; attempt: number }> {
    const token = await nodeToken(name);
    const client = new AgentClient(
      server.url,
      () => false,
      () => undefined,
    );
    const session = await client.register(registration(token));
    client.sessionToken = session.sessionToken;
    const lease = await client.lease({ freeSlots: 1 }, 30_000);
    const a = lease.assignments[0];
    if (!a) throw new Error('no assignment');
    await client.reportStatus(a.jobId, {
      attempt: a.attempt,
      phase: 'Running',
      at: new Date().toISOString(),
    });
    return { client, jobId: a.jobId, attempt: a.attempt };
  }
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const status = async (name: string): Promise<string> =>
    (await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).body.properties.status as string;

  it('stores the lines before the phase, after those sent as chunks, once even when the report is resent', async () => {
    const { client, jobId, attempt } = await runningJob('carry-ok');
    await client.appendLog(jobId, { attempt, file: 'user_logs/std_log.txt', offset: 0, data: b64('one\n') });
    const final = {
      attempt,
      phase: 'Completed' as const,
      exitCode: 0,
      at: new Date().toISOString(),
      logs: [
        { file: 'user_logs/std_log.txt', offset: 4, data: b64('two\n') },
        { file: 'system_logs/agent.txt', offset: 0, data: b64('command ended\n') },
      ],
    };
    expect(await client.reportStatus(jobId, final)).toEqual({ status: 'Completed' });
    // An agent whose answer was lost sends the same report again: nothing is stored twice.
    expect(await client.reportStatus(jobId, final)).toEqual({ status: 'Completed' });
    const log = (file: string) =>
      fetch(`${server.url}/api/workspaces/default/jobs/carry-ok/logs?file=${file}`, {
        headers: { authorization: `Bearer ${adminToken(server.url)}` },
      }).then((r) => r.text());
    expect(await log('user_logs/std_log.txt')).toBe('one\ntwo\n');
    expect(await log('system_logs/agent.txt')).toBe('command ended\n');
  });

  it('refuses a carried chunk beyond what the server holds (LogGap, naming it) and leaves the phase unapplied', async () => {
    const { client, jobId, attempt } = await runningJob('carry-gap');
    const refused = await client
      .reportStatus(jobId, {
        attempt,
        phase: 'Completed',
        exitCode: 0,
        at: new Date().toISOString(),
        logs: [{ file: 'user_logs/std_log.txt', offset: 7, data: b64('late\n') }],
      })
      .catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 409, code: 'LogGap' });
    expect((refused as { details: { message: string }[] }).details[0]?.message).toBe('0');
    expect(await status('carry-gap')).toBe('Running');
  });

  it('answers a bad carried chunk with 400 ValidationFailed naming its field, and applies nothing', async () => {
    const { client, jobId, attempt } = await runningJob('carry-bad');
    const sessionToken = client.sessionToken ?? '';
    const res = await api(
      server.url,
      'POST',
      `/api/agent/jobs/${jobId}/status`,
      {
        attempt,
        phase: 'Completed',
        exitCode: 0,
        at: new Date().toISOString(),
        logs: [{ file: '../../etc/passwd', offset: -1, data: 'x' }],
      },
      sessionToken,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationFailed');
    const fields = [res.body.error.target, ...(res.body.error.details ?? []).map((d: any) => d.target)];
    expect(fields).toEqual(expect.arrayContaining(['logs.0.file', 'logs.0.offset']));
    expect(await status('carry-bad')).toBe('Running');
  });
});
