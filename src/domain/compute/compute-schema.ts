import { z } from 'zod';
import { computeTypes } from './compute-kinds.js';

/** A compute kind's `computeType`, as requests and reads carry it. */
export const computeTypeSchema = z.enum(computeTypes);

const isoDuration = z.string().describe('ISO 8601 duration, e.g. PT120S');
const tags = z.record(z.string(), z.string());

export const scaleSettingsSchema = z.strictObject({
  minNodeCount: z.number().int().default(0),
  maxNodeCount: z.number().int().default(4),
  nodeIdleTimeBeforeScaleDown: isoDuration.default('PT120S'),
});

export const identitySchema = z.strictObject({
  type: z.enum(['None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned,UserAssigned']).default('None'),
  userAssignedIdentities: z.record(z.string(), z.object({}).passthrough()).optional(),
});

const accessEnum = z.enum(['Enabled', 'Disabled', 'NotSpecified']);

export const amlComputePropertiesSchema = z.strictObject({
  vmSize: z.string().default('Standard_DS3_v2'),
  vmPriority: z.enum(['Dedicated', 'LowPriority']).default('Dedicated'),
  vmType: z.enum(['CPU', 'GPU']).optional(),
  osType: z.enum(['Linux', 'Windows']).default('Linux'),
  scaleSettings: scaleSettingsSchema.default({
    minNodeCount: 0,
    maxNodeCount: 4,
    nodeIdleTimeBeforeScaleDown: 'PT120S',
  }),
  remoteLoginPortPublicAccess: accessEnum.default('NotSpecified'),
  userAccountCredentials: z
    .strictObject({
      adminUserName: z.string().min(1),
      adminUserSshPublicKey: z.string().optional(),
      adminUserPassword: z.string().optional().describe('secret: stored encrypted, never returned by a read'),
    })
    .optional(),
  enableNodePublicIp: z.boolean().default(true),
  subnet: z.strictObject({ id: z.string() }).optional(),
});

const weekDay = z.enum(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);

export const scheduleSchema = z.strictObject({
  id: z.string().optional(),
  action: z.enum(['Start', 'Stop']),
  status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  triggerType: z.enum(['Cron', 'Recurrence']),
  cron: z
    .strictObject({
      expression: z.string(),
      startTime: z.string().optional(),
      timeZone: z.string().default('UTC'),
    })
    .optional(),
  recurrence: z
    .strictObject({
      frequency: z.enum(['Minute', 'Hour', 'Day', 'Week', 'Month']),
      interval: z.number().int().min(1),
      startTime: z.string().optional(),
      timeZone: z.string().default('UTC'),
      schedule: z
        .strictObject({
          hours: z.array(z.number().int().min(0).max(23)).default([]),
          minutes: z.array(z.number().int().min(0).max(59)).default([]),
          weekDays: z.array(weekDay).optional(),
          monthDays: z.array(z.number().int().min(1).max(31)).optional(),
        })
        .optional(),
    })
    .optional(),
});

const setupScript = z.strictObject({
  scriptSource: z.enum(['inline', 'workspaceStorage', 'uri']).default('inline'),
  scriptData: z.string(),
  scriptArguments: z.string().optional(),
  timeout: z.string().optional(),
});

/** A custom application on an instance (Azure's CustomService; `command` is Hangar's addition for hosts without containers). */
export const customServiceSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a letter, then up to 31 letters, digits, _ or -'),
  image: z
    .strictObject({ type: z.enum(['docker']).default('docker'), reference: z.string().min(1) })
    .optional(),
  command: z
    .string()
    .min(1)
    .optional()
    .describe('run on the node itself (Hangar); PORT holds the target port'),
  environmentVariables: z
    .record(z.string(), z.strictObject({ type: z.enum(['local']).default('local'), value: z.string() }))
    .optional(),
  docker: z.strictObject({ privileged: z.boolean().default(false) }).optional(),
  endpoints: z
    .array(
      z.strictObject({
        protocol: z.enum(['http', 'tcp']).default('http'),
        name: z.string().default('connect'),
        target: z.number().int().min(1).max(65535),
        published: z.number().int(),
        hostIp: z.string().optional(),
      }),
    )
    .min(1),
  volumes: z
    .array(
      z.strictObject({
        type: z.enum(['bind']).default('bind'),
        readOnly: z.boolean().default(false),
        source: z.string().min(1),
        target: z.string().min(1),
      }),
    )
    .optional(),
});

export const computeInstancePropertiesSchema = z.strictObject({
  vmSize: z.string().default('Standard_DS3_v2'),
  sshSettings: z
    .strictObject({
      sshPublicAccess: z.enum(['Enabled', 'Disabled']).default('Disabled'),
      adminPublicKey: z.string().optional(),
      adminUserName: z.string().optional(),
      sshKeyName: z
        .string()
        .optional()
        .describe('Hangar: a stored SSH public key of the workspace (see /sshKeys)'),
    })
    .default({ sshPublicAccess: 'Disabled' }),
  idleTimeBeforeShutdown: isoDuration.optional(),
  schedules: z.strictObject({ computeStartStop: z.array(scheduleSchema).default([]) }).optional(),
  personalComputeInstanceSettings: z
    .strictObject({
      assignedUser: z.strictObject({ objectId: z.string().min(1), tenantId: z.string().default('') }),
    })
    .optional(),
  setupScripts: z
    .strictObject({
      scripts: z.strictObject({
        creationScript: setupScript.optional(),
        startupScript: setupScript.optional(),
      }),
    })
    .optional(),
  applicationSharingPolicy: z.enum(['Personal', 'Shared']).default('Shared'),
  customServices: z.array(customServiceSchema).optional(),
  startAfterCreation: z.boolean().default(true).describe('Hangar: false creates the instance Stopped'),
  enableSSO: z.boolean().optional(),
  enableRootAccess: z.boolean().optional(),
  subnet: z.strictObject({ id: z.string() }).optional(),
});

export const aksPropertiesSchema = z.strictObject({
  agentCount: z.number().int().min(1).default(3),
  agentVmSize: z.string().default('Standard_D3_v2'),
  clusterPurpose: z.enum(['FastProd', 'DenseProd', 'DevTest']).default('FastProd'),
  clusterFqdn: z.string().optional(),
  loadBalancerType: z.enum(['PublicIp', 'InternalLoadBalancer']).default('PublicIp'),
  sslConfiguration: z
    .strictObject({
      status: z.enum(['Disabled', 'Enabled', 'Auto']).default('Disabled'),
      cert: z.string().optional(),
      key: z.string().optional().describe('secret'),
      cname: z.string().optional(),
      leafDomainLabel: z.string().optional(),
      overwriteExistingDomain: z.boolean().optional(),
    })
    .optional(),
});

export const kubernetesPropertiesSchema = z.strictObject({
  namespace: z.string().default('default'),
  defaultInstanceType: z.string().optional(),
  relayConnectionString: z.string().optional().describe('secret'),
});

const administratorAccount = z.strictObject({
  username: z.string().min(1),
  password: z.string().optional().describe('secret'),
  publicKeyData: z.string().optional(),
  privateKeyData: z.string().optional().describe('secret'),
  privateKeyPassphrase: z.string().optional().describe('secret'),
});

export const virtualMachinePropertiesSchema = z.strictObject({
  address: z.string(),
  sshPort: z.number().int().min(1).max(65535).default(22),
  administratorAccount,
  virtualMachineSize: z.string().optional(),
  isNotebookInstanceCompute: z.boolean().optional(),
});

export const hdInsightPropertiesSchema = z.strictObject({
  address: z.string(),
  sshPort: z.number().int().min(1).max(65535).default(22),
  administratorAccount,
});

export const databricksPropertiesSchema = z.strictObject({
  workspaceUrl: z.string(),
  databricksAccessToken: z.string().optional().describe('secret'),
});

/** An attached Synapse Spark pool (Azure's SynapseSpark properties; kept as a record). */
export const synapseSparkPropertiesSchema = z.strictObject({
  autoScaleProperties: z
    .strictObject({
      minNodeCount: z.number().int().optional(),
      enabled: z.boolean().optional(),
      maxNodeCount: z.number().int().optional(),
    })
    .optional(),
  autoPauseProperties: z
    .strictObject({ delayInMinutes: z.number().int().optional(), enabled: z.boolean().optional() })
    .optional(),
  sparkVersion: z.string().optional(),
  nodeCount: z.number().int().optional(),
  nodeSize: z.string().optional(),
  nodeSizeFamily: z.string().optional(),
  subscriptionId: z.string().optional(),
  resourceGroup: z.string().optional(),
  workspaceName: z.string().optional(),
  poolName: z.string().optional(),
});

/** An attached Data Factory (Azure's DataFactory has no properties; kept as a record). */
export const dataFactoryPropertiesSchema = z.strictObject({});

export const dataLakeAnalyticsPropertiesSchema = z.strictObject({ dataLakeStoreAccountName: z.string() });

export const slurmPropertiesSchema = z.strictObject({
  partition: z.string().min(1),
  qos: z.string().optional(),
  account: z.string().optional(),
  slurmConf: z.string().optional(),
  loginHost: z.string().optional().describe('user@host[:port] of a login node reached over SSH'),
  sshPrivateKey: z.string().optional().describe('secret'),
  vmSize: z.string().optional(),
  vmPriority: z.enum(['Dedicated', 'LowPriority']).default('Dedicated'),
  scaleSettings: scaleSettingsSchema.default({
    minNodeCount: 0,
    maxNodeCount: 4,
    nodeIdleTimeBeforeScaleDown: 'PT120S',
  }),
});

/** Type-specific `properties.properties` schema for each computeType. */
export const propertiesSchemaByType = {
  AmlCompute: amlComputePropertiesSchema,
  ComputeInstance: computeInstancePropertiesSchema,
  AKS: aksPropertiesSchema,
  Kubernetes: kubernetesPropertiesSchema,
  VirtualMachine: virtualMachinePropertiesSchema,
  HDInsight: hdInsightPropertiesSchema,
  Databricks: databricksPropertiesSchema,
  DataLakeAnalytics: dataLakeAnalyticsPropertiesSchema,
  SynapseSpark: synapseSparkPropertiesSchema,
  DataFactory: dataFactoryPropertiesSchema,
  Slurm: slurmPropertiesSchema,
} as const;

/** The body of PUT .../computes/{name}: what a caller asks for (the desired state). */
export const computeRequestSchema = z.strictObject({
  location: z.string().optional(),
  tags: tags.optional(),
  identity: identitySchema.optional(),
  properties: z.strictObject({
    computeType: computeTypeSchema,
    description: z.string().max(2048).optional(),
    computeLocation: z.string().optional(),
    resourceId: z.string().optional(),
    disableLocalAuth: z.boolean().optional(),
    properties: z.record(z.string(), z.unknown()).default({}),
  }),
});

/** Request body as the caller sent it (before type-specific parsing). */
export type ComputeRequest = z.infer<typeof computeRequestSchema>;

/** Type-specific desired properties, per kind. */
export type AmlComputeProperties = z.infer<typeof amlComputePropertiesSchema>;
export type ComputeInstanceProperties = z.infer<typeof computeInstancePropertiesSchema>;
export type AksProperties = z.infer<typeof aksPropertiesSchema>;
export type KubernetesProperties = z.infer<typeof kubernetesPropertiesSchema>;
export type VirtualMachineProperties = z.infer<typeof virtualMachinePropertiesSchema>;
export type HdInsightProperties = z.infer<typeof hdInsightPropertiesSchema>;
export type DatabricksProperties = z.infer<typeof databricksPropertiesSchema>;
export type DataLakeAnalyticsProperties = z.infer<typeof dataLakeAnalyticsPropertiesSchema>;
export type SlurmProperties = z.infer<typeof slurmPropertiesSchema>;
/** The desired properties of a kind, as its schema parses them (defaults filled). */
export type PropertiesOf<K extends keyof typeof propertiesSchemaByType> = z.infer<
  (typeof propertiesSchemaByType)[K]
>;
export type ScheduleSpec = z.infer<typeof scheduleSchema>;
export type CustomServiceSpec = z.infer<typeof customServiceSchema>;
