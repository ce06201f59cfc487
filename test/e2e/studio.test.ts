import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const computes = '/api/workspaces/default/computes';

/** Every form control on the page that has no accessible name (label, aria-label or aria-labelledby). */
const unlabelled = (p: Page): Promise<string[]> =>
  p.$$eval('input, select, textarea', (els: any[]) =>
    els
      .filter(
        (el) =>
          el.type !== 'hidden' &&
          (el.labels?.length ?? 0) === 0 &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby'),
      )
      .map((el) => String(el.outerHTML).slice(0, 120)),
  );

async function signIn(p: Page): Promise<void> {
  const creds = JSON.parse(readFileSync(join(server.home, 'admin-credentials.json'), 'utf8')) as {
    user: string;
    password: string;
  };
  await p.goto(server.url);
  await p.getByLabel('User name').fill(creds.user);
  await p.getByLabel('Password').fill(creds.password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Compute', exact: true }).waitFor();
}

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(45_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (!server) return;
  const names = ((await api(server.url, 'GET', computes)).body.value as any[]).map((c) => c.name as string);
  for (const name of names) await api(server.url, 'DELETE', `${computes}/${name}`);
  await waitFor(
    async () => ((await api(server.url, 'GET', computes)).body.value as unknown[]).length === 0,
    'computes to go',
    60_000,
  );
  await server.stop();
}, 90_000);

describe('the studio in a real browser', () => {
  it('asks for a password first and names what was wrong', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in to Hangar studio' }).waitFor();
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = await page.getByRole('alert').textContent();
    expect(alert).toMatch(/^Unauthenticated: /);
    await screenshot(page, '01-login-refused');
    await signIn(page);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'hangar_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    // The session cookie is invisible to page script.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('hangar_session');
  });

  it('creates a cluster through the form after the name rules reject bad names, and shows it in the list', async () => {
    await page.getByRole('tab', { name: 'Compute clusters' }).click();
    await page.getByRole('button', { name: 'Create: new compute cluster' }).click();
    await page.getByRole('heading', { name: 'New compute cluster' }).waitFor();
    expect(await unlabelled(page)).toEqual([]);
    const name = page.getByLabel('Compute name');
    const create = page.getByRole('button', { name: 'Create', exact: true });
    const rules = async (): Promise<string> =>
      (await page.locator('.field-errors').allTextContents()).join(' | ');
    await name.fill('9lives');
    await waitFor(
      async () => (await rules()).includes('must start with a letter'),
      'the start-with-a-letter rule',
    );
    expect(await create.isDisabled()).toBe(true);
    await name.fill('gpu-1');
    await waitFor(
      async () => (await rules()).includes('must have a letter after each hyphen'),
      'the hyphen rule',
    );
    await name.fill('cpu_pool');
    await waitFor(
      async () => (await rules()).includes('may contain only letters, digits and hyphens'),
      'the character rule',
    );
    await name.fill('ab');
    await waitFor(
      async () => (await rules()).includes('must be 3–24 characters long (it has 2)'),
      'the length rule',
    );
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '02-cluster-name-rejected');
    await name.fill('cpu-pool');
    await waitFor(
      async () => (await rules()) === '' && !(await create.isDisabled()),
      'a good name to clear the errors',
    );
    // The size table shows vCPUs, memory, GPUs and the quota left in the family.
    const d2 = page.getByRole('row', { name: /Standard_D2_v2/ });
    expect(await d2.textContent()).toMatch(/Standard_D2_v2\s*2\s*7 GB\s*0\s*\d+ cores/);
    await page.getByRole('radio', { name: 'Standard_D2_v2' }).check();
    await page.getByLabel('Maximum number of nodes').fill('2');
    await page.getByLabel('Idle seconds before scale down').fill('60');
    await create.click();
    await page.waitForURL(/\/computes\?tab=clusters$/);
    const row = page.locator('tr[data-name="cpu-pool"]');
    await row.locator('[data-state="Succeeded"]').waitFor();
    await screenshot(page, '03-cluster-listed');
    const made = (await api(server.url, 'GET', `${computes}/cpu-pool`)).body.properties.properties;
    expect(made).toMatchObject({
      vmSize: 'Standard_D2_v2',
      vmPriority: 'Dedicated',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT60S' },
    });
  });

  it('reports an SSH machine it cannot reach on the attach form, naming the address', async () => {
    await page.goto(`${server.url}/computes/new/ssh`);
    await page.getByLabel('Compute name').fill('far-box');
    await page.getByLabel('Address (host name or IP)').fill('127.0.0.1');
    await page.getByLabel('SSH port').fill('1');
    await page.getByLabel('User name').fill('nobody');
    await page.getByRole('radio', { name: 'Password' }).check();
    await page.getByLabel('SSH password').fill('not-a-real-password');
    expect(await unlabelled(page)).toEqual([]);
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^ProviderError: .*cannot reach 127\.0\.0\.1:1: ECONNREFUSED/);
    await screenshot(page, '03b-attach-unreachable');
    // The failed attach leaves nothing behind.
    await waitFor(
      async () => (await api(server.url, 'GET', `${computes}/far-box`)).status === 404,
      'the failed attach to be removed',
    );
  });

  it('submits a job from a YAML with a code folder, and follows its live log and metric chart', async () => {
    const code = tempDir('studio-code-');
    mkdirSync(join(code, 'src'));
    writeFileSync(
      join(code, 'src', 'train.py'),
      [
        'import time, hangar_log',
        'for step in range(8):',
        '    hangar_log.log_metric("loss", round(1.0 / (step + 1), 4), step=step)',
        '    print(f"step {step} loss {1.0 / (step + 1):.4f}", flush=True)',
        '    time.sleep(0.8)',
        'import os',
        'os.makedirs("outputs", exist_ok=True)',
        'open("outputs/model.txt", "w").write("weights 0.125\\n")',
        '',
      ].join('\n'),
    );
    writeFileSync(join(code, 'src', '.amlignore'), 'scratch/\n');
    mkdirSync(join(code, 'src', 'scratch'));
    writeFileSync(join(code, 'src', 'scratch', 'big.bin'), 'not uploaded');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('button', { name: '+ Submit job' }).click();
    await page
      .getByLabel('Job YAML')
      .fill(
        'type: command\nexperiment_name: studio\ncode: ./src\ncommand: python3 train.py\ncompute: azureml:cpu-pool\n',
      );
    await page.getByLabel('Code folder (when the YAML has code:)').setInputFiles(join(code, 'src'));
    await page.getByLabel('Job name (optional)').fill('studio-train');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/jobs\/studio-train$/);
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByLabel('Log user_logs/std_log.txt');
    await waitFor(
      async () => (await log.textContent())?.includes('step 1 loss 0.5000'),
      'the first log lines',
      60_000,
    );
    const early = await log.textContent();
    expect(early).not.toContain('step 7');
    await screenshot(page, '04-job-log-live');
    await page.getByRole('tab', { name: 'Metrics' }).click();
    const chart = page.locator('figure[data-metric="loss"]');
    const points = async (): Promise<number> =>
      Number(await chart.getAttribute('data-points', { timeout: 30_000 }));
    const first = await waitFor(
      async () => {
        const n = await points();
        return n > 0 && n < 8 ? n : undefined;
      },
      'a chart with some of the points',
      30_000,
    );
    await waitFor(async () => (await points()) === 8, 'the chart to reach every step', 60_000);
    expect(first).toBeLessThan(8);
    expect(await chart.locator('svg').getAttribute('aria-label')).toBe('loss: 8 values from 0.125 to 1');
    await screenshot(page, '05-job-metric-chart');
    await page.getByRole('tab', { name: 'Logs' }).click();
    await waitFor(
      async () =>
        (await page.locator('[data-log-state]').getAttribute('data-log-state'))?.startsWith(
          'ended: Completed',
        ),
      'the log to end',
    );
    expect(await log.textContent()).toContain('step 7 loss 0.1250');
    await page.getByRole('tab', { name: 'Code' }).click();
    await page.getByText('train.py').waitFor();
    expect(await page.getByText('big.bin').count()).toBe(0);
    await page.getByRole('button', { name: 'View train.py' }).click();
    expect(await page.getByLabel('Contents of train.py').textContent()).toContain(
      'hangar_log.log_metric("loss"',
    );
    await page.getByRole('tab', { name: 'Overview' }).click();
    const timeline = page.getByRole('list', { name: 'Status timeline' });
    await waitFor(
      async () =>
        /Attempt 1 ended: Completed exit code 0.*Finished: Completed/.test(
          (await timeline.textContent()) ?? '',
        ),
      'the timeline to show the end',
    );
    expect(await timeline.textContent()).toMatch(
      /Submitted \(Queued\).*Attempt 1 started on cpu-pool-.*Attempt 1 ended: Completed exit code 0/,
    );
    await screenshot(page, '06-job-overview');
    await page.getByRole('tab', { name: 'Outputs' }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download model.txt' }).click();
    const file = await (await download).path();
    expect(readFileSync(file, 'utf8')).toBe('weights 0.125\n');
    expect((await download).suggestedFilename()).toBe('model.txt');
    // The list filters by status (kept in the URL, so the view can be shared or reloaded).
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Jobs' }).click();
    await page.locator('tr[data-name="studio-train"]').waitFor();
    await page.getByLabel('Status').selectOption('Failed');
    await page.getByText('No job matches the filters.').waitFor();
    expect(page.url()).toMatch(/\/jobs\?status=Failed$/);
    await page.reload();
    await page.getByText('No job matches the filters.').waitFor();
    await page.getByLabel('Status').selectOption('Completed');
    await page.locator('tr[data-name="studio-train"]').waitFor();
  });

  it("shows a pipeline's steps as a graph, each with its state and a link to its job", async () => {
    const made = await api(server.url, 'PUT', '/api/workspaces/default/jobs/studio-pipe', {
      spec: {
        type: 'pipeline',
        compute: 'azureml:cpu-pool',
        jobs: {
          make: { command: 'echo made > ${{outputs.o}}/m.txt', outputs: { o: null } },
          use: { command: 'cat ${{inputs.i}}/m.txt', inputs: { i: '${{parent.jobs.make.outputs.o}}' } },
        },
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', '/api/workspaces/default/jobs/studio-pipe')).body.properties.status ===
        'Completed',
      'the pipeline to complete',
      90_000,
    );
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Jobs' }).click();
    await page.locator('tr[data-name="studio-pipe"] a').first().click();
    await page.waitForURL(/\/jobs\/studio-pipe$/);
    const graph = page.getByRole('img', { name: /^Pipeline graph:/ });
    await waitFor(
      async () =>
        (await graph.getAttribute('aria-label')) === 'Pipeline graph: make Completed, use Completed',
      'the graph with both steps completed',
    );
    await screenshot(page, '06b-pipeline-graph');
    await page
      .getByRole('table', { name: 'Pipeline steps' })
      .getByRole('link', { name: 'studio-pipe_use' })
      .click();
    await page.waitForURL(/\/jobs\/studio-pipe_use$/);
  });

  it('creates an instance with a generated SSH key, opens its terminal and runs a command, then stops and starts it', async () => {
    await page.getByRole('link', { name: 'Compute', exact: true }).click();
    // The tabs follow the keyboard: arrows move the selection.
    await page.getByRole('tab', { name: 'Compute instances' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Compute clusters' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByRole('tab', { name: 'Compute instances' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    await page.getByRole('button', { name: '+ New compute instance' }).click();
    await page.getByLabel('Compute name').fill('dev-box');
    await page.getByRole('radio', { name: 'Generate new key pair' }).check();
    await page.getByLabel('Key pair name').fill('dev-box-key');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Generate key pair and download private key' }).click();
    const key = readFileSync(await (await download).path(), 'utf8');
    expect(key).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect((await download).suggestedFilename()).toBe('dev-box-key.pem');
    await page.getByRole('status').filter({ hasText: 'Key pair dev-box-key generated' }).waitFor();
    expect(await unlabelled(page)).toEqual([]);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/tab=instances$/);
    const row = page.locator('tr[data-name="dev-box"]');
    await row.locator('[data-state="Running"]').waitFor({ timeout: 60_000 });
    await screenshot(page, '07-instance-running');
    // The stored key reached the instance: its connection string is on the details page's nodes table.
    await row.getByRole('link', { name: 'dev-box' }).click();
    await page.getByRole('heading', { name: /^dev-box/ }).waitFor();
    await waitFor(
      async () =>
        /ssh -p \d+ azureuser@/.test((await page.getByRole('table', { name: 'Nodes' }).textContent()) ?? ''),
      'the node connection string',
    );
    expect(
      (await api(server.url, 'GET', `${computes}/dev-box`)).body.properties.properties.sshSettings,
    ).toMatchObject({ sshPublicAccess: 'Enabled', sshKeyName: 'dev-box-key' });
    await page.getByRole('link', { name: 'Terminal' }).click();
    await page.locator('[data-phase="open"]').waitFor();
    await page.locator('.terminal-host').click();
    await page.keyboard.type('echo "studio-$((6*7))" && pwd');
    await page.keyboard.press('Enter');
    const screen = page.locator('.xterm-rows > div');
    // The typed line is echoed (a real tty), then its output: the session starts in the home folder.
    let shown = '';
    await waitFor(
      async () =>
        /# echo "studio-\$\(\(6\*7\)\)" && pwd\s*\nstudio-42\s*\n\S*\/home\s*\n/.test(
          (shown = (await screen.allTextContents()).join('\n')),
        ),
      'the command and its output in the terminal',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the terminal shows ${JSON.stringify(shown)}`);
    });
    await screenshot(page, '08-terminal');
    await page.getByRole('link', { name: 'dev-box' }).click();
    // Jupyter opens in a tab of its own, through the server's proxy, on the session cookie.
    const [jupyter] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('link', { name: 'Jupyter' }).click(),
    ]);
    await jupyter.waitForURL(/\/apps\/default\/dev-box\/jupyter\/tree/, { timeout: 60_000 });
    // Jupyter's own page script ran: it listed the instance's home folder.
    await jupyter
      .locator('#notebook_list')
      .getByText(/notebook list is empty|\.txt/)
      .first()
      .waitFor({ timeout: 60_000 });
    await screenshot(jupyter, '08b-jupyter');
    await jupyter.close();
    // A stop schedule in a Windows zone, edited on the details page.
    await page.getByRole('button', { name: 'Add schedule' }).click();
    const next = page.locator('[data-next]');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    expect(await next.textContent()).toMatch(/^Unknown time zone "Mars\/Olympus"/);
    await page.getByLabel('Time zone').fill('Pacific Standard Time');
    expect(await next.textContent()).toMatch(/^Next stop: \w+day, .*\(your time\)\.$/);
    await page.getByRole('button', { name: 'Save schedules' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const schedules = (await api(server.url, 'GET', `${computes}/dev-box`)).body.properties.properties
      .schedules.computeStartStop;
    expect(schedules).toMatchObject([
      {
        action: 'Stop',
        status: 'Enabled',
        triggerType: 'Recurrence',
        recurrence: {
          frequency: 'Week',
          timeZone: 'Pacific Standard Time',
          schedule: { hours: [18], minutes: [0] },
        },
      },
    ]);
    await waitFor(
      async () => !/Next scheduled stop\s*—/.test((await page.locator('.properties').textContent()) ?? ''),
      'the next scheduled stop to show',
    );
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Stop dev-box?' });
    await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
    await page
      .getByRole('heading', { name: /^dev-box/ })
      .locator('[data-state="Stopped"]')
      .waitFor({ timeout: 60_000 });
    await screenshot(page, '09-instance-stopped');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Start dev-box?' })
      .getByRole('button', { name: 'Start', exact: true })
      .click();
    await page
      .getByRole('heading', { name: /^dev-box/ })
      .locator('[data-state="Running"]')
      .waitFor({ timeout: 60_000 });
    // The events list shows both requests, newest first.
    const events = page.getByRole('list', { name: 'Events' });
    await waitFor(
      async () => /StartRequested[\s\S]*StopRequested[\s\S]*Created/.test((await events.textContent()) ?? ''),
      'the start and stop events',
    );
  });

  it('shows quota use and role assignments, and stays readable on a narrow window', async () => {
    await page.getByRole('link', { name: 'Quota' }).click();
    const family = page.locator('tr[data-family="standardDv2Family"]');
    await waitFor(async () => {
      const usage = ((await api(server.url, 'GET', '/api/locations/local/usages')).body.value as any[]).find(
        (u) => u.name.value === 'standardDv2Family',
      );
      const text = (await family.textContent()) ?? '';
      return (
        usage.currentValue >= 1 &&
        text.includes(`${usage.currentValue} cores`) &&
        text.includes(`${usage.limit} cores`)
      );
    }, "the quota page to show the running instance's cores");
    await page.getByRole('link', { name: 'Access control' }).click();
    await page
      .getByRole('table', { name: 'Role assignments' })
      .getByRole('row', { name: /admin\s*Owner\s*\// })
      .waitFor();
    const narrow = await context.newPage();
    await narrow.setViewportSize({ width: 420, height: 800 });
    await narrow.goto(`${server.url}/computes?tab=clusters`);
    await narrow.locator('tr[data-name="cpu-pool"]').waitFor();
    // Nothing but the tables' own scrolling boxes may be wider than the window.
    expect(await narrow.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    expect(await narrow.getByRole('navigation', { name: 'Sections' }).isVisible()).toBe(true);
    // The navigation sits above the page, and the page follows it at once.
    const nav = await narrow.getByRole('navigation', { name: 'Sections' }).boundingBox();
    const heading = await narrow.getByRole('heading', { name: 'Compute', exact: true }).boundingBox();
    expect(heading!.y - (nav!.y + nav!.height)).toBeLessThan(40);
    await screenshot(narrow, '10-narrow-window');
    await narrow.close();
  });

  it("edits a cluster's scale settings and deletes it after confirmation", async () => {
    await page.goto(`${server.url}/computes/cpu-pool`);
    const max = page.getByLabel('Maximum nodes');
    expect(await max.inputValue()).toBe('2');
    await max.fill('3');
    await page.getByRole('button', { name: 'Save scale settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(
      (await api(server.url, 'GET', `${computes}/cpu-pool`)).body.properties.properties.scaleSettings
        .maxNodeCount,
    ).toBe(3);
    // The server's rule comes back by field and value, and nothing is saved.
    await page.getByLabel('Minimum nodes').fill('5');
    await page.getByRole('button', { name: 'Save scale settings' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(
      /^ValidationFailed: properties\.properties\.scaleSettings\.minNodeCount must be ≤ maxNodeCount \(3\); got 5/,
    );
    expect(
      (await api(server.url, 'GET', `${computes}/cpu-pool`)).body.properties.properties.scaleSettings
        .maxNodeCount,
    ).toBe(3);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete cpu-pool?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api(server.url, 'GET', `${computes}/cpu-pool`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/tab=clusters$/);
    await waitFor(
      async () => (await api(server.url, 'GET', `${computes}/cpu-pool`)).status === 404,
      'the cluster to be deleted',
      60_000,
    );
    await page.locator('tr[data-name="cpu-pool"]').waitFor({ state: 'detached' });
  });

  it("switches workspace without keeping the other workspace's data, and goes back to sign-in when the session ends", async () => {
    expect((await api(server.url, 'PUT', '/api/workspaces/lab', { location: 'local' })).status).toBe(201);
    await page.goto(`${server.url}/computes?tab=instances`);
    await page.locator('tr[data-name="dev-box"]').waitFor();
    await page.getByLabel('Workspace').selectOption('lab');
    await page.getByText('No compute instances in workspace lab yet.').waitFor();
    expect(await page.locator('tr[data-name="dev-box"]').count()).toBe(0);
    await page.getByLabel('Workspace').selectOption('default');
    await page.locator('tr[data-name="dev-box"]').waitFor();
    // Revoke this browser's session from outside (as an expiry would): the open page notices.
    const cookie = (await context.cookies()).find((c) => c.name === 'hangar_session');
    const out = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: `hangar_session=${cookie?.value ?? ''}` },
    });
    expect(out.status).toBe(204);
    await page.getByRole('heading', { name: 'Sign in to Hangar studio' }).waitFor({ timeout: 15_000 });
  });
});
