import { z } from 'zod';
import { provisioningStates } from './compute-kinds.js';
import { computeTypeSchema, identitySchema } from './compute-schema.js';

/** The compute resource as reads return it (Azure's ComputeResource shape); secrets never included. */
export const computeResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  location: z.string(),
  tags: z.record(z.string(), z.string()),
  identity: identitySchema.extend({
    principalId: z.string().optional().describe('system-assigned identity: the id role assignments name'),
    tenantId: z.string().optional(),
  }),
  systemData: z.object({ createdAt: z.string(), lastModifiedAt: z.string() }),
  properties: z.object({
    computeType: computeTypeSchema,
    computeLocation: z.string(),
    description: z.string().optional(),
    provisioningState: z.enum(provisioningStates),
    provisioningErrors: z.array(z.object({ error: z.object({ code: z.string(), message: z.string() }) })),
    createdOn: z.string(),
    modifiedOn: z.string(),
    isAttachedCompute: z.boolean(),
    resourceId: z.string().optional(),
    disableLocalAuth: z.boolean().optional(),
    properties: z.record(z.string(), z.unknown()).describe('Type-specific desired and observed properties'),
  }),
  warnings: z
    .array(z.string())
    .optional()
    .describe('Advice for the caller, e.g. a location other than the workspace one'),
});

/** A compute as the API returns it. */
export type ComputeResource = z.infer<typeof computeResourceSchema>;
