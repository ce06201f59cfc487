import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadCliConfig, loadConfig } from './config.js';

const home = (): string => mkdtempSync(join(tmpdir(), 'hangar-config-'));
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('gives every field a default when there is no file', () => {
    const dir = home();
    const config = loadConfig({ home: dir }, {});
    expect(config.home).toBe(dir);
    expect(config.port).toBe(7733);
    expect(config.host).toBe('127.0.0.1');
    expect(config.locations.map((l) => l.name)).toEqual(['local']);
    expect(config.jobs.nodeLostAfterMs).toBe(300_000);
  });

  it('layers defaults ← file ← env ← flags', () => {
    const dir = home();
    writeFileSync(join(dir, 'config.yaml'), 'port: 8001\nhost: 0.0.0.0\nlogLevel: warn\n');
    expect(loadConfig({ home: dir }, {}).port).toBe(8001);
    expect(loadConfig({ home: dir }, { HANGAR_PORT: '8002' }).port).toBe(8002);
    const flagged = loadConfig({ home: dir, port: 8003 }, { HANGAR_PORT: '8002', HANGAR_LOG_LEVEL: 'debug' });
    expect(flagged.port).toBe(8003);
    expect(flagged.host).toBe('0.0.0.0');
    expect(flagged.logLevel).toBe('debug');
  });

  it('chooses PostgreSQL by database.url or HANGAR_DATABASE_URL (SQLite without); refuses another URL without echoing it', () => {
    const dir = home();
    expect(loadConfig({ home: dir }, {}).database.url).toBeUndefined();
    writeFileSync(
      join(dir, 'config.yaml'),
      'database: { url: "postgres://h@file/db" }\nstorage: { blobDir: /srv/b }\n',
    );
    expect(loadConfig({ home: dir }, {}).database.url).toBe('postgres://h@file/db');
    expect(loadConfig({ home: dir }, {}).storage.blobDir).toBe('/srv/b');
    expect(loadConfig({ home: dir }, { HANGAR_DATABASE_URL: 'postgresql://h:pw@env/db' }).database.url).toBe(
      'postgresql://h:pw@env/db',
    );
    const problems = problemsOf(() =>
      loadConfig({ home: dir }, { HANGAR_DATABASE_URL: 'mysql://u:hunter2@x/y' }),
    );
    expect(problems).toEqual(['database.url: must be a postgres:// or postgresql:// URL']);
  });

  it('reads the file named by HANGAR_CONFIG, and HANGAR_HOME for the home', () => {
    const dir = home();
    const file = join(home(), 'elsewhere.yaml');
    writeFileSync(file, 'reconcileIntervalMs: 50\n');
    const config = loadConfig({}, { HANGAR_HOME: dir, HANGAR_CONFIG: file });
    expect(config.home).toBe(dir);
    expect(config.reconcileIntervalMs).toBe(50);
  });

  it('lists every problem with its field, not just the first', () => {
    const dir = home();
    writeFileSync(
      join(dir, 'config.yaml'),
      'jobs: { heartbeatIntervalMs: 5 }\nportt: 1\ndefaultWorkspace: { location: mars }\n',
    );
    const problems = problemsOf(() => loadConfig({ home: dir }, { HANGAR_PORT: 'abc' }));
    expect(problems.some((p) => p.startsWith("HANGAR_PORT: must be an integer, got 'abc'"))).toBe(true);
    expect(problems.some((p) => p.startsWith('jobs.heartbeatIntervalMs:'))).toBe(true);
    expect(problems.some((p) => p.includes('portt'))).toBe(true);
  });

  it('admission: write limits default to 4 running, 10,000 waiting, 2 ms slices; a file sets them; bad values are named', () => {
    const dir = home();
    expect(loadConfig({ home: dir }, {}).admission).toEqual({
      concurrentWrites: 4,
      queuedWrites: 10_000,
      sliceMs: 2,
    });
    writeFileSync(join(dir, 'config.yaml'), 'admission: { concurrentWrites: 16, sliceMs: 5 }\n');
    expect(loadConfig({ home: dir }, {}).admission).toEqual({
      concurrentWrites: 16,
      queuedWrites: 10_000,
      sliceMs: 5,
    });
    writeFileSync(
      join(dir, 'config.yaml'),
      'admission: { concurrentWrites: 0, queuedWrites: 0, sliceMs: -1 }\n',
    );
    const problems = problemsOf(() => loadConfig({ home: dir }, {}));
    expect(problems.some((p) => p.startsWith('admission.concurrentWrites:') && p.includes('1'))).toBe(true);
    expect(problems.some((p) => p.startsWith('admission.queuedWrites:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('admission.sliceMs:'))).toBe(true);
  });

  it('heapGrowthPercent: 100 by default, 0 leaves it to V8, a file sets it; a negative or huge value is named', () => {
    const dir = home();
    expect(loadConfig({ home: dir }, {}).heapGrowthPercent).toBe(100);
    writeFileSync(join(dir, 'config.yaml'), 'heapGrowthPercent: 0\n');
    expect(loadConfig({ home: dir }, {}).heapGrowthPercent).toBe(0);
    for (const bad of ['-5', '5000', '12.5', 'lots']) {
      writeFileSync(join(dir, 'config.yaml'), `heapGrowthPercent: ${bad}\n`);
      const problems = problemsOf(() => loadConfig({ home: dir }, {}));
      expect(problems.some((p) => p.startsWith('heapGrowthPercent:'))).toBe(true);
    }
  });

  it('checks rules across fields: the default location must exist, location names are unique', () => {
    const dir = home();
    writeFileSync(
      join(dir, 'config.yaml'),
      'defaultWorkspace: { location: mars }\nlocations: [{ name: a }, { name: a }]\n',
    );
    const problems = problemsOf(() => loadConfig({ home: dir }, {}));
    expect(problems).toContain("defaultWorkspace.location: 'mars' is not a configured location (a, a)");
    expect(problems).toContain('locations: duplicate names a');
  });

  it('location aliases name a configured location and are not locations themselves', () => {
    const dir = home();
    writeFileSync(join(dir, 'config.yaml'), 'locationAliases: { westus2: local }\n');
    expect(loadConfig({ home: dir }, {}).locationAliases).toEqual({ westus2: 'local' });
    expect(loadConfig({ home: home() }, {}).locationAliases).toEqual({});
    writeFileSync(
      join(dir, 'config.yaml'),
      'locations: [{ name: local }, { name: lab }]\nlocationAliases: { westus2: mars, lab: local }\n',
    );
    const problems = problemsOf(() => loadConfig({ home: dir }, {}));
    expect(problems).toContain("locationAliases.westus2: 'mars' is not a configured location (local, lab)");
    expect(problems).toContain(
      "locationAliases.lab: 'lab' is a configured location itself; an alias must be another name",
    );
    writeFileSync(join(dir, 'config.yaml'), 'locationAliases: { West US 2: local }\n');
    expect(
      problemsOf(() => loadConfig({ home: dir }, {})).some(
        (p) => p.startsWith('locationAliases') && p.includes('lower-case letters'),
      ),
    ).toBe(true);
  });

  it('names a file that is not a mapping', () => {
    const dir = home();
    writeFileSync(join(dir, 'config.yaml'), '- 1\n- 2\n');
    expect(problemsOf(() => loadConfig({ home: dir }, {}))[0]).toMatch(
      /config\.yaml: must be a mapping of settings$/,
    );
  });

  it('is frozen, deeply', () => {
    const config = loadConfig({ home: home() }, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jobs)).toBe(true);
    expect(Object.isFrozen(config.locations[0])).toBe(true);
  });
});

describe('loadCliConfig', () => {
  it('takes HANGAR_URL over the saved file over the default', () => {
    const dir = home();
    expect(loadCliConfig({ HANGAR_HOME: dir }).url).toBe('http://127.0.0.1:7733');
    writeFileSync(join(dir, 'cli.json'), JSON.stringify({ url: 'http://saved:1', workspace: 'team' }));
    expect(loadCliConfig({ HANGAR_HOME: dir })).toEqual({ url: 'http://saved:1', workspace: 'team' });
    expect(loadCliConfig({ HANGAR_HOME: dir, HANGAR_URL: 'http://env:2', HANGAR_TOKEN: 't' })).toEqual({
      url: 'http://env:2',
      token: 't',
      workspace: 'team',
    });
  });
});
