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

const locationNamePattern = /^[a-z][a-z0-9-]{0,39}$/;
const locationNameRule = 'lower-case letters, digits and -, starting with a letter';
const locationName = z.string().regex(locationNamePattern, locationNameRule);

const locationSchema = z.strictObject({
  name: locationName,
  displayName: z.string().optional(),
  /** Providers that back computes here (local now; ssh and slurm later). */
  providers: z
    .array(z.enum(['local', 'ssh', 'slurm']))
    .min(1)
    .default(['local']),
  /** VM sizes offered here ('*' = the whole catalog). */
  vmSizes: z.array(z.string()).min(1).default(['*']),
  quota: quotaSchema.default({
    dedicatedCoresPerFamily: {},
    defaultDedicatedCoresPerFamily: 64,
    lowPriorityCores: 64,
  }),
  /** Random preemption of low-priority nodes here, as a cloud does to spot VMs (off when absent). */
  lowPriorityPreemption: z.strictObject({ meanIntervalSeconds: z.number().positive() }).optional(),
});

const aliasSchema = z.strictObject({
  /** What a job names: an environment (`AzureML-sklearn-1.0-ubuntu20.04-py38-cpu`, with or without `azureml:` and `:version`) or an image (`python:latest`). */
  match: z.string().min(1),
  /** Run such jobs user-managed with this interpreter (e.g. /usr/bin/python3). */
  python: z.string().min(1).optional(),
  /** Or use this registered environment instead (`name:version` or `name@latest`). */
  environment: z.string().min(1).optional(),
});

const jobsSchema = z.strictObject({
  /** How often agents heartbeat. */
  heartbeatIntervalMs: z.number().int().min(100).max(60_000).default(2000),
  /** Silence after which a node is not responding (its jobs NotResponding, still running). */
  nodeNotRespondingAfterMs: z.number().int().min(500).default(10_000),
  /** Further silence after which the node is lost and its jobs retried or failed. */
  nodeLostAfterMs: z.number().int().min(1000).default(300_000),
  /** Seconds an agent's lease call waits for work. */
  leaseWaitSeconds: z.number().int().min(1).max(120).default(20),
  /** Seconds between SIGTERM and SIGKILL when a job is canceled or times out. */
  cancelGraceSeconds: z.number().int().min(0).max(600).default(10),
  /** Pip options given to agents the server starts (no PyPI here: a wheel folder). */
  pipFindLinks: z.string().min(1).optional(),
  pipIndexUrl: z.string().min(1).optional(),
  /** OS user jobs run as on nodes whose agent runs as root (default: hangar-job, else nobody); never root. */
  runAsUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'an OS user name')
    .optional(),
  /** Where bubblewrap cannot be used, run jobs unsandboxed instead of refusing them (they can then read the server's data). */
  insecureNoSandbox: z.boolean().default(false),
  /** Variables of the agent's environment jobs also get (say HTTP_PROXY), by exact name; none by default. */
  envPassthrough: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name')).default([]),
  /** Serverless jobs (no `compute:`): the pool's VM size when the job gives no resources.instance_type. */
  serverlessDefaultSize: z.string().min(1).default('Standard_DS3_v2'),
  /** Nodes a serverless pool may scale to. */
  serverlessMaxInstances: z.number().int().min(1).max(1000).default(4),
  /** Seconds a serverless pool's idle node lives before the pool scales down (to zero). */
  serverlessIdleSeconds: z.number().int().min(0).default(120),
});

/** The whole server configuration; every field has a default so an empty file is valid. */
export const configSchema = z.strictObject({
  home: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  /** The URL nodes and jobs on other machines reach the server at (default: the listening address, loopback for 0.0.0.0). */
  advertiseUrl: z.string().url().optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  defaultWorkspace: z
    .strictObject({
      name: z.string().min(1).default('default'),
      location: z.string().min(1).default('local'),
    })
    .default({ name: 'default', location: 'local' }),
  locations: z
    .array(locationSchema)
    .min(1)
    .default([
      {
        name: 'local',
        providers: ['local'],
        vmSizes: ['*'],
        quota: { dedicatedCoresPerFamily: {}, defaultDedicatedCoresPerFamily: 64, lowPriorityCores: 64 },
      },
    ]),
  /**
   * Fair admission of the API's writes (PUT, POST, PATCH, DELETE; not the agents' protocol, not
   * uploads): at most concurrentWrites run at once, the others wait in arrival order, so reads and
   * health checks never queue behind a burst of submits; writes run back to back for at most
   * sliceMs before the server reads its sockets again, and a scheduler pass (sorting, deciding,
   * writing) hands the event loop back after as long. Beyond queuedWrites waiting, a write is
   * answered 503 ServerBusy with Retry-After.
   */
  admission: z
    .strictObject({
      concurrentWrites: z.number().int().min(1).max(1000).default(4),
      queuedWrites: z.number().int().min(1).max(1_000_000).default(10_000),
      sliceMs: z.number().min(0).max(1000).default(2),
    })
    .default({ concurrentWrites: 4, queuedWrites: 10_000, sliceMs: 2 }),
  /**
   * How far the server's JavaScript heap may grow past what the last full garbage collection left
   * live, in percent, before the next one (V8's --heap-growing-percent); 0 leaves it to V8, which
   * lets a heap of this size grow to up to 4 times its live data. At 10,000 nodes and 100,000 jobs
   * the live data is 200–400 MB: V8's own growth took the server past 1 GB, 100 % keeps it near 550 MB.
   */
  heapGrowthPercent: z.number().int().min(0).max(1000).default(100),
  /** How often reconcile loops run when nothing wakes them. */
  reconcileIntervalMs: z.number().int().min(10).max(60_000).default(1000),
  /** Largest code snapshot a job may upload (Azure's default: 300 MB). */
  snapshotMaxBytes: z
    .number()
    .int()
    .min(1)
    .default(300 * 1024 * 1024),
  /**
   * The content-addressed store: `hangar admin gc` deletes unreferenced blobs older than gcRetentionHours.
   * blobDir (snapshots, outputs, models; default HOME/blobs) and logDir (job logs; default HOME/jobs)
   * must be one shared folder (NFS or similar) when several replicas serve one database.
   */
  storage: z
    .strictObject({
      gcRetentionHours: z.number().min(0).max(100_000).default(24),
      blobDir: z.string().min(1).optional(),
      logDir: z.string().min(1).optional(),
    })
    .default({ gcRetentionHours: 24 }),
  /**
   * The database: no url, SQLite in HOME/hangar.db (one server); a postgres:// URL (env
   * HANGAR_DATABASE_URL), PostgreSQL, which several server replicas can share.
   */
  database: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    })
    .default({}),
  jobs: jobsSchema.default({
    heartbeatIntervalMs: 2000,
    nodeNotRespondingAfterMs: 10_000,
    nodeLostAfterMs: 300_000,
    leaseWaitSeconds: 20,
    cancelGraceSeconds: 10,
    insecureNoSandbox: false,
    envPassthrough: [],
    serverlessDefaultSize: 'Standard_DS3_v2',
    serverlessMaxInstances: 4,
    serverlessIdleSeconds: 120,
  }),
  /**
   * Operator-defined stand-ins for environments that cannot be pulled here (Azure curated
   * environments, registry images). None by default: an unaliased one is refused at submit.
   */
  environmentAliases: z.array(aliasSchema).default([]),
  /**
   * Other names for configured locations, e.g. `{ westus2: local }`: a compute or a location
   * request naming the alias lands in its location (Azure ML's documentation names Azure regions).
   * None by default: an unknown location is refused naming the configured ones.
   */
  locationAliases: z
    .record(z.string(), locationName)
    .superRefine((aliases, ctx) => {
      for (const alias of Object.keys(aliases))
        if (!locationNamePattern.test(alias))
          ctx.addIssue({ code: 'custom', path: [alias], message: `'${alias}': ${locationNameRule}` });
    })
    .default({}),
  /**
   * For end-to-end tests only: a wall clock that `POST /api/admin/clock` can move forward (idle
   * shutdown, schedules). Off by default; the server logs a warning when it is on.
   */
  testClock: z.boolean().default(false),
  /**
   * For end-to-end tests only: every store call outside a transaction first waits this many ms,
   * so other writes land between a flow's calls as they do with a networked database. 0: off.
   */
  testStoreLatencyMs: z.number().int().min(0).max(1000).default(0),
  /**
   * Single-user laptops only: calls without credentials act as the bootstrap admin. Loudly logged;
   * refused together with a host other than loopback.
   */
  insecureLocal: z.boolean().default(false),
  /**
   * The HTTPS listener beside the HTTP one (the Azure ML Python SDK sends bearer tokens only over
   * TLS). Port: default the HTTP port + 1 (a free one when the HTTP port is 0). Without certFile and
   * keyFile the server makes its own CA and certificate under HOME/tls.
   */
  tls: z
    .strictObject({
      enabled: z.boolean().default(true),
      port: z.number().int().min(0).max(65535).optional(),
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      /** The CA of the operator's certificate, added to the bundle clients trust. */
      caFile: z.string().min(1).optional(),
    })
    .default({ enabled: true }),
  /** Lifetime of managed-identity access tokens handed to jobs (seconds). */
  identityTokenSeconds: z.number().int().min(30).max(86400).default(3600),
  /**
   * Monitoring: how often agents sample utilisation, how long samples are kept, and who may scrape
   * GET /metrics (a bearer `token`, else a role with read at the server scope; `public` opens it).
   */
  metrics: z
    .strictObject({
      sampleIntervalSeconds: z.number().min(1).max(300).default(5),
      retentionDays: z.number().int().min(1).max(3650).default(30),
      token: z.string().min(16, 'at least 16 characters').optional(),
      public: z.boolean().default(false),
    })
    .default({ sampleIntervalSeconds: 5, retentionDays: 30, public: false }),
  /** Compute instances: how their nodes offer applications. */
  instances: z
    .strictObject({
      /** Jupyter Notebook executable on the node (Debian's jupyter-notebook); absent: Jupyter is not offered. */
      jupyterCommand: z.string().default('jupyter-notebook'),
      /** Utilisation that counts as activity for idle shutdown (off when absent): mean % over the last 2 min. */
      activityCpuPercent: z.number().min(0).max(100).optional(),
      activityGpuPercent: z.number().min(0).max(100).optional(),
    })
    .default({ jupyterCommand: 'jupyter-notebook' }),
});

/** Validated, frozen server configuration. */
export type HangarConfig = Readonly<z.infer<typeof configSchema>>;
/** One environment alias. */
export type EnvironmentAliasConfig = z.infer<typeof aliasSchema>;
/** One configured location. */
export type LocationConfig = z.infer<typeof locationSchema>;
