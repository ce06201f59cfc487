import { z } from 'zod';

/** Default HTTP port of the server (and of the CLI's default HANGAR_URL). */
export const DEFAULT_PORT = 7733;

const quotaSchema = z.strictObject({
  /** Dedicated cores per VM family, e.g. { standardDv2Family: 24 }. */
  dedicatedCoresPerFamily: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Dedicated cores for a family not listed above. */
  defaultDedicatedCoresPerFamily: z.number().int().min(0).default(64),
  /** One pool of low-priority cores shared by every family. */
  lowPriorityCores: z.number().int().min(0).default(64),
});

const locationSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and -, starting with a letter'),
  displayName: z.string().optional(),
  /** Providers that back computes here (local now; ssh and slurm later). */
  providers: z.array(z.enum(['local', 'ssh', 'slurm'])).min(1).default(['local']),
  /** VM sizes offered here ('*' = the whole catalog). */
  vmSizes: z.array(z.string()).min(1).default(['*']),
  quota: quotaSchema.default({ dedicatedCoresPerFamily: {}, defaultDedicatedCoresPerFamily: 64, lowPriorityCores: 64 }),
});

/** The whole server configuration; every field has a default so an empty file is valid. */
export const configSchema = z.strictObject({
  home: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  defaultWorkspace: z
    .strictObject({ name: z.string().min(1).default('default'), location: z.string().min(1).default('local') })
    .default({ name: 'default', location: 'local' }),
  locations: z
    .array(locationSchema)
    .min(1)
    .default([{ name: 'local', providers: ['local'], vmSizes: ['*'], quota: { dedicatedCoresPerFamily: {}, defaultDedicatedCoresPerFamily: 64, lowPriorityCores: 64 } }]),
  /** How often reconcile loops run when nothing wakes them. */
  reconcileIntervalMs: z.number().int().min(10).max(60_000).default(1000),
  /** Largest code snapshot a job may upload (Azure's default: 300 MB). */
  snapshotMaxBytes: z.number().int().min(1).default(300 * 1024 * 1024),
});

/** Validated, frozen server configuration. */
export type HangarConfig = Readonly<z.infer<typeof configSchema>>;
/** One configured location. */
export type LocationConfig = z.infer<typeof locationSchema>;
