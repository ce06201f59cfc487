import { describe, expect, it } from 'vitest';
import type { JobRecord } from './job-record.js';
import { applyJobUpdate } from './job-update.js';

const now = new Date('2026-02-01T00:00:00.000Z');
const job = {
  name: 'j',
  displayName: 'old',
  spec: { command: 'echo', tags: { keep: '1', drop: '2' }, description: 'd' },
  modifiedAt: '2026-01-01T00:00:00.000Z',
} as unknown as JobRecord;

describe('applyJobUpdate', () => {
  it('merges display name, description, tags and properties (null removes)', () => {
    const next = applyJobUpdate(
      job,
      { displayName: 'new', description: null, tags: { drop: null, add: 'x' }, properties: { p: 'v' } },
      now,
    );
    expect(next?.displayName).toBe('new');
    expect(next?.spec).toEqual({
      command: 'echo',
      display_name: 'new',
      tags: { keep: '1', add: 'x' },
      properties: { p: 'v' },
    });
    expect(next?.modifiedAt).toBe(now.toISOString());
  });

  it('archives and restores', () => {
    const archived = applyJobUpdate(job, { isArchived: true }, now);
    expect(archived?.archived).toBe(true);
    expect(archived && applyJobUpdate(archived, { isArchived: false }, now)?.archived).toBeUndefined();
  });

  it('writes nothing when nothing changes', () => {
    expect(applyJobUpdate(job, { tags: { keep: '1' }, isArchived: false }, now)).toBeUndefined();
  });
});
