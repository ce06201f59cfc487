import { findVmSize, vmTypeOf } from './vm-sizes.js';
import type { LocationConfig } from '../../config/config-schema.js';
import { throwIfProblems, type Problem } from '../errors/hangar-error.js';
import { zodProblems } from '../errors/zod-problems.js';
import { kindOf, type ComputeType } from './compute-kinds.js';
import { computeNameProblems } from './compute-names.js';
import { isSpecOf, type ComputeSpec, type IdentitySpec } from './compute-record.js';
import {
  aksProblems,
  amlComputeProblems,
  computeInstanceProblems,
  slurmProblems,
  sshAttachProblems,
} from './compute-rules.js';
import { computeRequestSchema, propertiesSchemaByType } from './compute-schema.js';

/** What validation needs to know beyond the request. */
export interface ComputeValidationContext {
  workspaceLocation: string;
  locations: readonly LocationConfig[];
}

/** A valid request split into the desired state, its secret values, and warnings for the caller. */
export interface ValidatedCompute {
  spec: ComputeSpec;
  secrets: Record<string, string>;
  warnings: string[];
}

/** Where each kind keeps values that must be encrypted and never returned by a read. */
export const secretPathsByType: Record<ComputeType, string[]> = {
  AmlCompute: ['userAccountCredentials.adminUserPassword'],
  ComputeInstance: [],
  AKS: ['sslConfiguration.key'],
  Kubernetes: ['relayConnectionString'],
  VirtualMachine: [
    'administratorAccount.password',
    'administratorAccount.privateKeyData',
    'administratorAccount.privateKeyPassphrase',
  ],
  HDInsight: [
    'administratorAccount.password',
    'administratorAccount.privateKeyData',
    'administratorAccount.privateKeyPassphrase',
  ],
  Databricks: ['databricksAccessToken'],
  DataLakeAnalytics: [],
  SynapseSpark: [],
  DataFactory: [],
  Slurm: ['sshPrivateKey'],
};

/** Reads and deletes a dotted path; returns the removed string value. */
export function takePath(obj: Record<string, unknown>, path: string): string | undefined {
  const keys = path.split('.');
  let cur: Record<string, unknown> | undefined = obj;
  for (const k of keys.slice(0, -1)) {
    const next: unknown = cur?.[k];
    cur = next && typeof next === 'object' ? (next as Record<string, unknown>) : undefined;
  }
  const last = keys[keys.length - 1] as string;
  const value = cur?.[last];
  if (cur && last in cur) delete cur[last];
  return typeof value === 'string' ? value : undefined;
}

/** Writes a dotted path, creating objects on the way. */
export function putPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!cur[k] || typeof cur[k] !== 'object') cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1] as string] = value;
}

function locationProblems(
  type: ComputeType,
  location: string,
  ctx: ComputeValidationContext,
  warnings: string[],
): Problem[] {
  const known = ctx.locations.map((l) => l.name);
  if (!known.includes(location)) {
    return [
      {
        code: 'UnknownLocation',
        target: 'location',
        message: `location '${location}' is not configured; valid locations: ${known.join(', ')}`,
      },
    ];
  }
  if (location === ctx.workspaceLocation) return [];
  if (!kindOf(type).mayLiveElsewhere) {
    return [
      {
        code: 'LocationNotAllowed',
        target: 'location',
        message: `location: a ${type} must be in its workspace's location '${ctx.workspaceLocation}'; got '${location}'`,
      },
    ];
  }
  warnings.push(
    `Compute location '${location}' differs from the workspace location '${ctx.workspaceLocation}': expect extra latency and data-transfer cost between them.`,
  );
  return [];
}

function kindProblems(
  type: ComputeType,
  props: Record<string, unknown>,
  location: LocationConfig,
  problems: Problem[],
): void {
  switch (type) {
    case 'AmlCompute':
      return amlComputeProblems(props as never, location, problems);
    case 'ComputeInstance':
      return computeInstanceProblems(props as never, location, problems);
    case 'AKS':
      return aksProblems(props as never, location, problems);
    case 'Slurm':
      return slurmProblems(props as never, location, problems);
    case 'VirtualMachine':
    case 'HDInsight':
      return sshAttachProblems(props as never, problems);
    default:
      return;
  }
}

/**
 * Validates a create/update request for compute `name` against every rule, collecting all
 * problems before throwing one error; returns the desired state with secrets split out.
 */
export function validateComputeRequest(
  name: string,
  body: unknown,
  ctx: ComputeValidationContext,
): ValidatedCompute {
  const parsed = computeRequestSchema.safeParse(body);
  if (!parsed.success) throwIfProblems(zodProblems(parsed.error, body));
  const request = parsed.data!;
  const type = request.properties.computeType;
  const problems: Problem[] = computeNameProblems(
    name,
    kindOf(type).servesInference ? 'inference' : 'compute',
  );
  const warnings: string[] = [];
  const locationName = request.location ?? request.properties.computeLocation ?? ctx.workspaceLocation;
  problems.push(...locationProblems(type, locationName, ctx, warnings));
  const kind = propertiesSchemaByType[type].safeParse(request.properties.properties);
  if (!kind.success)
    problems.push(...zodProblems(kind.error, request.properties.properties, 'properties.properties'));
  const location = ctx.locations.find((l) => l.name === locationName);
  const props = (kind.success ? kind.data : {}) as Record<string, unknown>;
  if (kind.success && location) kindProblems(type, props, location, problems);
  throwIfProblems(problems);
  const secrets: Record<string, string> = {};
  for (const path of secretPathsByType[type]) {
    const value = takePath(props, path);
    if (value !== undefined) secrets[path] = value;
  }
  const identity: IdentitySpec = request.identity ?? { type: 'None' };
  // `props` is what the kind's own schema parsed: the properties of the union member `type` names.
  const spec = {
    computeType: type,
    location: locationName,
    tags: request.tags ?? {},
    identity,
    properties: props,
    secretPaths: Object.keys(secrets),
  } as ComputeSpec;
  // VM type follows the size (Azure fills it in when the caller leaves it out).
  if (isSpecOf(spec, 'AmlCompute') && spec.properties.vmType === undefined) {
    const size = findVmSize(spec.properties.vmSize);
    if (size) spec.properties.vmType = vmTypeOf(size);
  }
  if (request.properties.description !== undefined) spec.description = request.properties.description;
  if (request.properties.resourceId !== undefined) spec.resourceId = request.properties.resourceId;
  if (request.properties.disableLocalAuth !== undefined)
    spec.disableLocalAuth = request.properties.disableLocalAuth;
  return { spec, secrets, warnings };
}

const immutableByType: Partial<Record<ComputeType, string[]>> = {
  AmlCompute: ['vmSize', 'vmPriority', 'vmType', 'remoteLoginPortPublicAccess', 'osType'],
  ComputeInstance: ['vmSize', 'sshSettings.sshPublicAccess'],
  AKS: ['agentVmSize'],
  Slurm: ['vmPriority', 'vmSize'],
};

function at(obj: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      obj,
    );
}

function same(a: unknown, b: unknown, path: string): boolean {
  if (/vmSize$/i.test(path) && typeof a === 'string' && typeof b === 'string')
    return a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Problems for every field an update may not change: type, location and each kind's fixed fields. */
export function immutableChangeProblems(before: ComputeSpec, after: ComputeSpec): Problem[] {
  const problems: Problem[] = [];
  const fixed = (target: string, was: unknown, now: unknown): void => {
    problems.push({
      code: 'ImmutableField',
      target,
      message: `${target} cannot change after creation (it is ${JSON.stringify(was)}; the update asks for ${JSON.stringify(now)}); delete and recreate the compute to change it`,
    });
  };
  if (before.computeType !== after.computeType)
    fixed('properties.computeType', before.computeType, after.computeType);
  if (before.location !== after.location) fixed('location', before.location, after.location);
  if (before.computeType !== after.computeType) return problems;
  for (const path of immutableByType[before.computeType] ?? []) {
    const was = at(before.properties, path);
    const now = at(after.properties, path);
    if (!same(was, now, path)) fixed(`properties.properties.${path}`, was, now);
  }
  return problems;
}
