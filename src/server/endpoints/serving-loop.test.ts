import { describe, expect, it } from 'vitest';
import { generationVerdict } from './serving-loop.js';

const replica = (ready: boolean, failures = 0, everReady = ready) => ({
  ready,
  everReady,
  failures,
  lastAnswer: 'connection refused',
});

describe('generationVerdict', () => {
  it('ready once every wanted replica passed its readiness probe', () => {
    expect(
      generationVerdict({
        replicas: [replica(true), replica(true)],
        exited: [],
        wanted: 2,
        failureThreshold: 3,
      }),
    ).toEqual({ kind: 'ready' });
    expect(
      generationVerdict({
        replicas: [replica(true), replica(false)],
        exited: [],
        wanted: 2,
        failureThreshold: 3,
      }),
    ).toEqual({ kind: 'waiting', ready: 1 });
  });

  it('failed when a replica exits before it was ever ready: code 3 names init()', () => {
    const v = generationVerdict({
      replicas: [],
      exited: [{ code: 3, everReady: false }],
      wanted: 1,
      failureThreshold: 3,
    });
    expect(v.kind).toBe('failed');
    if (v.kind === 'failed') expect(v.reason).toContain('init()');
  });

  it('failed when the readiness probe failed failure_threshold times, quoting its last answer', () => {
    const v = generationVerdict({
      replicas: [replica(false, 3)],
      exited: [],
      wanted: 1,
      failureThreshold: 3,
    });
    expect(v.kind).toBe('failed');
    if (v.kind === 'failed') expect(v.reason).toContain('connection refused');
  });

  it('a crash after readiness is not a failed generation (the replica is restarted)', () => {
    expect(
      generationVerdict({
        replicas: [replica(true)],
        exited: [{ code: 1, everReady: true }],
        wanted: 1,
        failureThreshold: 3,
      }).kind,
    ).toBe('ready');
  });
});

describe("generationVerdict for a replica job that ended without the scoring host's exit code", () => {
  it("names the job's error (an environment that did not build) rather than a bare exit code", () => {
    const verdict = generationVerdict({
      replicas: [],
      exited: [{ code: 1, everReady: false, reason: 'pip install failed: no matching distribution' }],
      wanted: 1,
      failureThreshold: 3,
    });
    expect(verdict).toEqual({
      kind: 'failed',
      reason: "the replica's job failed before it became ready: pip install failed: no matching distribution",
    });
    // init() raising keeps its own words whatever else the job says.
    expect(
      generationVerdict({
        replicas: [],
        exited: [{ code: 3, everReady: false, reason: 'exit code 3' }],
        wanted: 1,
        failureThreshold: 3,
      }),
    ).toMatchObject({ reason: expect.stringContaining('init() in the scoring script raised') });
  });
});
