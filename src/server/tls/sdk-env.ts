import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { TlsInfo } from './tls-info.js';

/** What jobs and instances pass as subscription and resource group: any names work (workspaces map by name), these match `hangar azureml env`. */
export const ARM_SUBSCRIPTION = 'hangar';
export const ARM_RESOURCE_GROUP = 'hangar';

/**
 * The variables Azure ML compute sets for the SDK v2, so `MLClient(DefaultAzureCredential(),
 * os.environ["AZUREML_ARM_SUBSCRIPTION"], …)` works unchanged in a job: the workspace it runs in, its
 * own run, and (with TLS on) the HTTPS base URL. REQUESTS_CA_BUNDLE is the agent's: it writes the file.
 */
export function azuremlEnv(job: JobRecord, tls: TlsInfo | undefined): Record<string, string> {
  return {
    AZUREML_ARM_SUBSCRIPTION: ARM_SUBSCRIPTION,
    AZUREML_ARM_RESOURCEGROUP: ARM_RESOURCE_GROUP,
    AZUREML_ARM_WORKSPACE_NAME: job.workspace,
    AZUREML_ARM_PROJECT_NAME: job.experimentName,
    // A rank of a multi-node job is its parent job to the SDK.
    AZUREML_RUN_ID: job.gang?.parent ?? job.name,
    ...(tls ? { AZUREML_DEV_URL_MFE: tls.httpsUrl } : {}),
  };
}
