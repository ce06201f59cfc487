import type { HangarConfig } from '../../config/config-schema.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import type { ComputeService } from '../services/compute-service.js';

/** What a serverless job asks of its pool: `resources.instance_type` and `queue_settings.job_tier`. */
export interface ServerlessRequest {
  instanceType?: string;
  jobTier?: string;
}

/** A serverless pool: the cluster name and the create body the compute service validates. */
export interface ServerlessPool {
  name: string;
  size: string;
  lowPriority: boolean;
  body: Record<string, unknown>;
}

/** Whether a job's `compute:` asks for serverless compute: absent, or `serverless` as the SDK writes it. */
export function isServerless(compute: unknown): boolean {
  return (
    compute === undefined || compute === null || compute === 'serverless' || compute === 'azureml:serverless'
  );
}

/**
 * The workspace's built-in pool for a serverless job (pure): one autoscaling cluster per VM
 * size and tier, created on first use, min 0 nodes, scaling to zero after the configured idle
 * time. `queue_settings.job_tier: spot` lands on low-priority nodes (Azure's Spot tier); the other
 * tiers (basic, standard, premium) are dedicated here.
 */
export function serverlessPool(req: ServerlessRequest, jobs: HangarConfig['jobs']): ServerlessPool {
  const size = req.instanceType ?? jobs.serverlessDefaultSize;
  const lowPriority = req.jobTier?.toLowerCase() === 'spot';
  const isDefault = size.toLowerCase() === jobs.serverlessDefaultSize.toLowerCase();
  const slug = size
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const base = isDefault ? 'serverless' : `sls-${slug}`.slice(0, lowPriority ? 21 : 24).replace(/-+$/, '');
  const name = lowPriority ? `${base}-lp` : base;
  return {
    name,
    size,
    lowPriority,
    body: {
      tags: { 'hangar.serverless': 'true' },
      properties: {
        computeType: 'AmlCompute',
        description: `Serverless pool of jobs without compute: (${size}, ${lowPriority ? 'low priority' : 'dedicated'}); created on first use, scales to zero.`,
        properties: {
          vmSize: size,
          vmPriority: lowPriority ? 'LowPriority' : 'Dedicated',
          scaleSettings: {
            minNodeCount: 0,
            maxNodeCount: jobs.serverlessMaxInstances,
            nodeIdleTimeBeforeScaleDown: `PT${jobs.serverlessIdleSeconds}S`,
          },
        },
      },
    },
  };
}

/**
 * A compute a job is checked against before it exists: the serverless pool on a job's first use.
 * `preview` is the record a create would store; `create` makes it, called only once the job has
 * passed every check, so a refused job never leaves a pool behind.
 */
export interface DeferredCompute {
  preview: ComputeRecord;
  create: () => Promise<void>;
}

function instanceTypeError(err: unknown, size: string): unknown {
  if (err instanceof HangarError && /vmSize/.test(`${err.target ?? ''} ${err.message}`))
    return new HangarError(
      'ValidationFailed',
      `resources.instance_type: '${size}' is not a VM size of this server's catalogue, so no serverless pool can have it; see \`hangar compute list-sizes\`.`,
      'resources.instance_type',
    );
  return err;
}

/**
 * The pool a serverless job runs on: its name when it exists, else the pool to create (through
 * the compute service: the same validation and quota as any cluster) once the job is valid. A
 * size the catalogue does not have is named as the job's `resources.instance_type`.
 */
export async function serverlessCompute(
  computes: ComputeService,
  jobs: HangarConfig['jobs'],
  workspace: string,
  req: ServerlessRequest,
): Promise<string | DeferredCompute> {
  const pool = serverlessPool(req, jobs);
  const existing = await computes.get(workspace, pool.name).catch(() => undefined);
  if (existing) return pool.name;
  const preview = await computes.preview(workspace, pool.name, pool.body).catch((err: unknown) => {
    throw instanceTypeError(err, pool.size);
  });
  const create = async (): Promise<void> => {
    try {
      await computes.createOrUpdate(workspace, pool.name, pool.body);
    } catch (err) {
      // Two first jobs at once: the other one created it.
      if (await computes.get(workspace, pool.name).catch(() => undefined)) return;
      throw instanceTypeError(err, pool.size);
    }
  };
  return { preview, create };
}
