import { z } from 'zod';
import { toComputeResource } from '../../../domain/compute/compute-view.js';
import type { ComputeRecord } from '../../../domain/compute/compute-record.js';
import { computeResourceSchema } from '../../../domain/compute/compute-resource-schema.js';
import { ShiftableClock } from '../../../domain/clock.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';
import { generateSshKeyPair, storeSshKey } from '../../instances/ssh-keys.js';

const base = '/api/workspaces/{workspace}/computes/{name}';
const tag = 'Compute instances';
const p = (input: Pick<RouteInput, 'params'>): { ws: string; name: string } => ({
  ws: input.params.workspace ?? '',
  name: input.params.name ?? '',
});

async function render(input: Pick<RouteInput, 'services'>, record: ComputeRecord): Promise<unknown> {
  const ws = await input.services.computes.workspace(record.workspace);
  return toComputeResource(record, ws.location);
}

function powerRoute(verb: 'start' | 'stop' | 'restart', summary: string): RouteDef {
  return {
    method: 'post',
    path: `${base}/${verb}`,
    action: action(`workspaces/computes/${verb}/action`),
    tag,
    summary,
    response: {
      status: 202,
      description: `${verb} recorded; the state shows its progress`,
      schema: computeResourceSchema,
    },
    handler: async (input) => {
      const { ws, name } = p(input);
      const record = await input.services.instances[verb](ws, name);
      return { status: 202, body: await render(input, record) };
    },
  };
}

/** Compute-instance routes: power verbs, idle shutdown, schedule skips, SSO, SSH keys, test clock. */
export const instanceRoutes: RouteDef[] = [
  powerRoute('start', 'Start a compute instance'),
  powerRoute('stop', 'Stop a compute instance (its home folder and quota are kept)'),
  powerRoute('restart', 'Restart a compute instance on a fresh node'),
  route({
    method: 'post',
    path: `${base}/updateIdleShutdownSetting`,
    action: action('workspaces/computes/updateIdleShutdownSetting/action'),
    tag,
    summary: 'Set idle shutdown (ISO 8601, PT15M to P3D)',
    body: z.object({ idleTimeBeforeShutdown: z.string() }),
    response: { status: 200, description: 'The instance', schema: computeResourceSchema },
    handler: async (input) => {
      const { ws, name } = p(input);
      const record = await input.services.instances.updateIdleShutdown(
        ws,
        name,
        input.body.idleTimeBeforeShutdown,
      );
      return { status: 200, body: await render(input, record) };
    },
  }),
  route({
    method: 'post',
    path: `${base}/skipScheduledStop`,
    action: action('workspaces/computes/updateSchedules/action'),
    tag,
    summary: 'Skip the next occurrence of a scheduled stop',
    body: z.object({ scheduleId: z.string().optional() }),
    response: {
      status: 200,
      description: 'The skipped occurrence',
      schema: z.object({ scheduleId: z.string(), at: z.string() }),
    },
    handler: async (input) => {
      const { ws, name } = p(input);
      return {
        status: 200,
        body: await input.services.instances.skipScheduledStop(ws, name, input.body.scheduleId),
      };
    },
  }),
  route({
    method: 'post',
    path: `${base}/enableSso`,
    action: action('workspaces/computes/enableSso/action'),
    tag,
    summary: 'Turn single sign-on on or off',
    body: z.object({ enabled: z.boolean() }),
    response: { status: 200, description: 'The instance', schema: computeResourceSchema },
    handler: async (input) => {
      const { ws, name } = p(input);
      return {
        status: 200,
        body: await render(
          input,
          await input.services.instances.setSso(ws, name, input.body.enabled, input.caller),
        ),
      };
    },
  }),
  {
    method: 'get',
    path: '/api/workspaces/{workspace}/sshKeys',
    action: action('workspaces/sshKeys/read'),
    tag,
    summary: 'Stored SSH public keys',
    handler: async (input) => ({
      status: 200,
      body: {
        value: (await input.services.computes.workspace(input.params.workspace ?? '')).sshPublicKeys ?? [],
      },
    }),
  },
  route({
    method: 'post',
    path: '/api/workspaces/{workspace}/sshKeys',
    action: action('workspaces/sshKeys/write'),
    tag,
    summary:
      'Store an SSH public key, or generate a key pair (the private key is returned once, never stored)',
    body: z.object({ name: z.string(), publicKey: z.string().optional() }),
    response: { status: 201, description: 'The stored key (and the private key when generated)' },
    handler: async (input) => {
      const { name, publicKey: given } = input.body;
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name))
        throw new HangarError(
          'InvalidName',
          `name must be 1–64 letters, digits, '_', '.', '-'; got ${JSON.stringify(name)}.`,
          'name',
        );
      const pair = typeof given === 'string' ? undefined : generateSshKeyPair(`${name}@hangar`);
      const publicKey = typeof given === 'string' ? given : (pair?.publicKey ?? '');
      const stored = await storeSshKey(
        input.services.ctx,
        input.params.workspace ?? '',
        name,
        publicKey,
        input.caller,
      );
      return { status: 201, body: { ...stored, ...(pair ? { privateKey: pair.privateKey } : {}) } };
    },
  }),
  route({
    method: 'post',
    path: '/api/admin/clock',
    action: 'Hangar/admin/clock/action',
    auth: 'root',
    tag: 'Admin',
    summary: 'Move the server clock forward (only when the server runs with testClock)',
    body: z.object({ advanceSeconds: z.number().positive() }),
    handler: async (input) => {
      const clock = input.services.ctx.clock;
      if (!(clock instanceof ShiftableClock))
        throw new HangarError(
          'RouteNotFound',
          'The clock can be moved only on a server started with testClock (HANGAR_TEST_CLOCK=1).',
        );
      clock.shift(input.body.advanceSeconds * 1000);
      input.services.ctx.wake();
      return Promise.resolve({ status: 200, body: { now: clock.now().toISOString() } });
    },
  }),
];
