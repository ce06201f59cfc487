import { action, type RouteDef, type RouteInput } from '../route-def.js';
import { SUB, WS, workspaceId } from './arm-paths.js';

const tag = 'Azure ML (ARM)';

/** The workspace as the SDK reads it: location, discoveryUrl, mlFlowTrackingUri. */
async function workspaceResource(input: RouteInput): Promise<Record<string, unknown>> {
  const ws = await input.services.workspaces.get(input.params.workspace ?? '');
  const id = workspaceId(input);
  const host = new URL(input.baseUrl).host;
  return {
    id,
    name: ws.name,
    type: 'Microsoft.MachineLearningServices/workspaces',
    location: ws.location,
    tags: ws.tags,
    properties: {
      friendlyName: ws.name,
      description: ws.description ?? '',
      discoveryUrl: `${input.baseUrl}/discovery`,
      mlFlowTrackingUri: `azureml://${host}/mlflow/v1.0${id}`,
      workspaceId: ws.name,
      provisioningState: 'Succeeded',
    },
    systemData: { createdAt: ws.createdAt, lastModifiedAt: ws.modifiedAt },
  };
}

/** Workspace GET, the discovery document, VM sizes and usages in ARM's paths. */
export const armWorkspaceRoutes: RouteDef[] = [
  {
    method: 'get',
    path: WS,
    action: action('workspaces/read'),
    tag,
    summary: 'Get a workspace (ARM shape, as the Azure ML SDK reads it)',
    handler: async (input) => ({ status: 200, body: await workspaceResource(input) }),
  },
  {
    method: 'get',
    path: '/discovery',
    action: 'Hangar/discovery/read',
    auth: 'public',
    tag,
    summary: 'Service discovery for the Azure ML SDK: run history and dataplanes live on this server',
    handler: (input) =>
      Promise.resolve({
        status: 200,
        body: Object.fromEntries(
          ['api', 'history', 'catalog', 'experimentation', 'modelmanagement', 'pipelines', 'studio'].map(
            (k) => [k, input.baseUrl],
          ),
        ),
      }),
  },
  {
    method: 'get',
    path: `${SUB}/locations/{location}/vmSizes`,
    action: action('locations/vmSizes/read'),
    tag,
    summary: 'VM sizes offered in a location (ARM shape)',
    handler: (input) => {
      const sizes = input.services.locations.vmSizes(input.params.location ?? '');
      return Promise.resolve({
        status: 200,
        body: {
          value: sizes.map((s) => ({
            osVhdSizeMB: 1047552,
            maxResourceVolumeMB: 28672,
            premiumIO: true,
            supportedComputeTypes: ['ComputeInstance', 'AmlCompute'],
            ...s,
          })),
        },
      });
    },
  },
  {
    method: 'get',
    path: `${SUB}/locations/{location}/usages`,
    action: action('locations/usages/read'),
    tag,
    summary: 'Core usage against quota (ARM shape)',
    handler: async (input) => {
      const loc = input.params.location ?? '';
      const rows = await input.services.locations.usages(loc);
      return {
        status: 200,
        body: {
          value: rows.map((r) => ({
            id: `/subscriptions/${input.params.subscription ?? ''}/providers/Microsoft.MachineLearningServices/locations/${loc}/usages/${r.name.value}`,
            ...r,
            amlWorkspaceLocation: loc,
            type: 'Microsoft.MachineLearningServices/totalCores',
          })),
          nextLink: null,
        },
      };
    },
  },
];
