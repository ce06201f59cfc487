import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadManifest } from '../../src/snapshots/snapshot-upload.js';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The studio's asset pages (Data, Models, Components, Environments) in Debian's Chromium.

let server: ServerProcess;
let browser: Browser;
let page: Page;
let job = '';
const ws = '/api/workspaces/default';

/** Uploads one file as a snapshot; answers its workspaceblobstore URI. */
async function uploaded(name: string, text: string): Promise<string> {
  const bytes = Buffer.from(text);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const r = await uploadManifest(
    { url: server.url, headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` } },
    { version: 1, entries: [{ path: name, kind: 'file', sha256, size: bytes.length, mode: 0o644 }] },
    () => new Uint8Array(bytes),
  );
  return `azureml://datastores/workspaceblobstore/paths/snapshots/${r.snapshotId}/`;
}

beforeAll(async () => {
  server = await startServerProcess({ config: { reconcileIntervalMs: 200 } });
  const dataUri = await uploaded('train.csv', 'a,b\n1,2\n');
  for (const [version, tags] of [
    ['1', { team: 'vision' }],
    ['2', { team: 'vision', round: '2' }],
  ] as const) {
    const r = await api(server.url, 'PUT', `${ws}/data/e2e-data/versions/${version}`, {
      properties: { dataType: 'uri_folder', dataUri, description: 'training rows', tags },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  const model = await api(server.url, 'PUT', `${ws}/models/e2e-model/versions/1`, {
    properties: { modelType: 'custom_model', modelUri: await uploaded('model.txt', 'w 0.5\n') },
  });
  expect(model.status, JSON.stringify(model.body)).toBe(201);
  // A job reading version 1 (a local-target job waits for its submitter's agent: lineage is recorded at submission).
  job = 'e2e-reader';
  const submitted = await api(server.url, 'PUT', `${ws}/jobs/${job}`, {
    spec: {
      command: 'ls ${{inputs.d}}',
      compute: 'local',
      inputs: { d: { type: 'uri_folder', path: 'azureml:e2e-data:1' } },
    },
  });
  expect(submitted.status, JSON.stringify(submitted.body)).toBeLessThan(300);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(30_000);
  const creds = JSON.parse(readFileSync(join(server.home, 'admin-credentials.json'), 'utf8')) as {
    user: string;
    password: string;
  };
  await page.goto(server.url);
  await page.getByLabel('User name').fill(creds.user);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Compute', exact: true }).waitFor();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server) {
    await api(server.url, 'POST', `${ws}/jobs/${job}/cancel`);
    await server.stop();
  }
}, 60_000);

describe('studio asset pages', () => {
  it('lists data with versions, shows a version with tags and lineage, archives and restores it', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Data' }).click();
    await page.getByRole('heading', { name: 'Data', exact: true }).waitFor();
    const row = page.getByRole('table', { name: 'Data' }).locator('tr[data-name="e2e-data"]');
    expect(await row.locator('td').first().textContent()).toBe('2');
    await row.getByRole('link', { name: 'e2e-data' }).click();
    const versions = page.getByRole('table', { name: 'Versions of e2e-data' });
    await versions.locator('tr[data-version="1"]').waitFor();
    expect(await versions.locator('tbody tr').count()).toBe(2);
    await versions.getByRole('link', { name: '1', exact: true }).click();
    await page.getByRole('heading', { name: 'e2e-data:1' }).waitFor();
    expect(await page.locator('dl.properties').first().textContent()).toContain('uri_folder');
    expect(await page.locator('dl.properties').nth(1).textContent()).toContain('vision');
    const lineage = page.getByRole('table', { name: 'Lineage' });
    await lineage.getByRole('link', { name: job }).waitFor();
    expect(await lineage.textContent()).toContain('read by');
    await screenshot(page, 'assets-01-data-version');

    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByRole('button', { name: 'Restore' }).waitFor();
    expect((await api(server.url, 'GET', `${ws}/data/e2e-data/versions/1`)).body.properties.isArchived).toBe(
      true,
    );
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('button', { name: 'Archive' }).waitFor();
    expect((await api(server.url, 'GET', `${ws}/data/e2e-data/versions/1`)).body.properties.isArchived).toBe(
      false,
    );
  });

  it('lists models, components and environments (empty kinds say how to create one)', async () => {
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('table', { name: 'Models' }).getByRole('link', { name: 'e2e-model' }).waitFor();
    await nav.getByRole('link', { name: 'Components' }).click();
    await page.getByText('No component yet').waitFor();
    await nav.getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('heading', { name: 'Environments', exact: true }).waitFor();
    await screenshot(page, 'assets-02-environments');
  });
});
