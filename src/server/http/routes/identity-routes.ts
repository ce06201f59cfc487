import { defaultIdentity } from '../../../domain/access/managed-identity.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { RouteDef, RouteInput } from '../route-def.js';

/** The run token answered as an access token: it lives as long as its attempt; clients refresh by expires_on. */
function runTokenAnswer(input: RouteInput, secret: string): Promise<{ status: number; body: unknown }> {
  const expiresOn =
    Math.floor(input.services.ctx.clock.now().getTime() / 1000) +
    input.services.ctx.config.identityTokenSeconds;
  return Promise.resolve({
    status: 200,
    body: {
      access_token: secret,
      token_type: 'Bearer',
      expires_on: String(expiresOn),
      resource: input.query.resource ?? '',
      client_id: '',
    },
  });
}

/**
 * The managed-identity endpoint jobs call (MSI_ENDPOINT / IDENTITY_ENDPOINT), in the App Service
 * MSI style: GET with the `secret` (or X-IDENTITY-HEADER) header and optional `clientid`/`client_id`.
 * It answers a short-lived bearer token for one identity of the job's compute; that token gets
 * exactly what the identity's role assignments allow. A compute without one gets the run token back.
 */
export const identityRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/api/identity/token',
    action: 'Hangar/identity/token/action',
    auth: 'public',
    tag: 'Access control',
    summary: 'A managed-identity token for a running job (header `secret: $MSI_SECRET`)',
    query: [
      { name: 'resource', description: 'Audience (recorded, not enforced)' },
      {
        name: 'clientid',
        description: 'Which identity of the compute (default: DEFAULT_IDENTITY_CLIENT_ID)',
      },
    ],
    handler: async (input) => {
      const secret = input.header('secret') ?? input.header('x-identity-header');
      const job = secret ? await input.services.access.jobOfToken(secret) : undefined;
      if (!job)
        throw new HangarError(
          'Unauthenticated',
          "The identity endpoint needs the running job's MSI_SECRET in the `secret` header.",
          'secret',
        );
      const { computeName, identities: ids } = await input.services.access.jobIdentities(job);
      const wanted = input.query.clientid ?? input.query.client_id ?? input.query.mi_res_id;
      // No identity on the compute: the job's own run token (as Azure's AML token), which reads only
      // its own job and logs to its run; an unchanged DefaultAzureCredential still gets a token.
      if (!wanted && ids.length === 0 && secret) return runTokenAnswer(input, secret);
      const identity = wanted
        ? ids.find((i) => i.clientId === wanted || i.principalId === wanted)
        : defaultIdentity(ids);
      if (!identity) {
        const why =
          ids.length === 0
            ? `compute '${computeName ?? '?'}' has no managed identity`
            : `compute '${computeName ?? '?'}' has no identity '${String(wanted)}' (it has ${ids.map((i) => i.clientId).join(', ')})`;
        throw new HangarError('NotFound', `No identity for this job: ${why}.`, 'clientid');
      }
      const { token, expiresOn } = input.services.access.identityToken(
        identity.principalId,
        identity.name,
        input.services.ctx.config.identityTokenSeconds,
      );
      return {
        status: 200,
        body: {
          access_token: token,
          token_type: 'Bearer',
          expires_on: String(expiresOn),
          resource: input.query.resource ?? '',
          client_id: identity.clientId,
        },
      };
    },
  },
];
