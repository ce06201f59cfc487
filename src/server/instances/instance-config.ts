import type { InstanceRecord } from '../../domain/compute/compute-record.js';
import type { ComputeInstanceProperties } from '../../domain/compute/compute-schema.js';
import type { CustomAppConfig, InstanceConfig } from '../../domain/instances/instance.js';
import { toOpenSshPublicKey } from './ssh-keys.js';
import type { ServiceContext } from '../services/service-context.js';
import { AccessService } from '../access/access-service.js';
import { instanceOwner } from '../../domain/instances/instance-access.js';
import { ARM_RESOURCE_GROUP, ARM_SUBSCRIPTION } from '../tls/sdk-env.js';
import { tlsInfo } from '../tls/tls-info.js';

type Script = NonNullable<
  NonNullable<ComputeInstanceProperties['setupScripts']>['scripts']['creationScript']
>;

/** An inline script is base64 (as Azure sends it) or plain text; other sources name a file to run. */
function scriptText(s: Script | undefined): string | undefined {
  if (!s) return undefined;
  const args = s.scriptArguments ? ` ${s.scriptArguments}` : '';
  if (s.scriptSource !== 'inline') return `bash ${JSON.stringify(s.scriptData)}${args}`;
  const compact = s.scriptData.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0) {
    const decoded = Buffer.from(compact, 'base64').toString('utf8');
    if (!decoded.includes('\uFFFD') && !decoded.includes('\0'))
      return decoded + (args ? `\n# arguments:${args}` : '');
  }
  return s.scriptData;
}

function customApps(p: ComputeInstanceProperties): CustomAppConfig[] {
  return (p.customServices ?? []).map((app) => {
    const endpoint = app.endpoints[0];
    return {
      name: app.name,
      ...(app.command ? { command: app.command } : {}),
      ...(app.image ? { image: app.image.reference } : {}),
      targetPort: endpoint?.target ?? 0,
      publishedPort: endpoint?.published ?? 0,
      environment: Object.fromEntries(
        Object.entries(app.environmentVariables ?? {}).map(([k, v]) => [k, v.value]),
      ),
      mounts: (app.volumes ?? []).map((v) => ({ source: v.source, target: v.target, readOnly: v.readOnly })),
    };
  });
}

/** What an instance's node should run, from the instance's desired state (SSH keys resolved). */
export async function instanceConfigFor(
  ctx: ServiceContext,
  compute: InstanceRecord,
): Promise<InstanceConfig> {
  const p = compute.spec.properties;
  const keys: string[] = [];
  if (p.sshSettings.adminPublicKey) {
    try {
      keys.push(toOpenSshPublicKey(p.sshSettings.adminPublicKey));
    } catch {
      // Validation admitted its shape; a key that still cannot be read lets nobody in, which is safe.
    }
  }
  const stored = p.sshSettings.sshKeyName;
  if (stored) {
    const key = (await ctx.store.workspaces.get(compute.workspace))?.sshPublicKeys?.find(
      (k) => k.name === stored,
    );
    if (key) keys.push(key.publicKey);
  }
  const azureml = azuremlSessionConfig(ctx, compute);
  const creationScript = scriptText(p.setupScripts?.scripts.creationScript);
  const startupScript = scriptText(p.setupScripts?.scripts.startupScript);
  return {
    appsPrefix: `/apps/${compute.workspace}/${compute.name}/`,
    user: p.sshSettings.adminUserName ?? 'azureuser',
    ssh: { enabled: p.sshSettings.sshPublicAccess === 'Enabled', authorizedKeys: keys },
    setupScripts: {
      ...(creationScript ? { creationScript } : {}),
      ...(startupScript ? { startupScript } : {}),
    },
    customApps: customApps(p),
    ...(azureml ? { azureml } : {}),
  };
}

/**
 * The Azure ML SDK v2's variables for the instance's sessions, as on an Azure compute instance:
 * its workspace, the HTTPS base URL, and the identity endpoint with the instance's credential for
 * its owner (DefaultAzureCredential then acts as the owner). None without TLS or without an owner.
 */
function azuremlSessionConfig(ctx: ServiceContext, compute: InstanceRecord): InstanceConfig['azureml'] {
  const tls = tlsInfo(ctx.config.home, ctx.publicUrl());
  const owner = instanceOwner(compute);
  if (!tls || !owner) return undefined;
  return {
    env: {
      AZUREML_ARM_SUBSCRIPTION: ARM_SUBSCRIPTION,
      AZUREML_ARM_RESOURCEGROUP: ARM_RESOURCE_GROUP,
      AZUREML_ARM_WORKSPACE_NAME: compute.workspace,
      AZUREML_DEV_URL_MFE: tls.httpsUrl,
      IDENTITY_ENDPOINT: `${tls.httpsUrl}/msi/token`,
      IDENTITY_HEADER: new AccessService(ctx).instanceToken(compute, owner),
    },
    caPem: tls.caPem,
  };
}
