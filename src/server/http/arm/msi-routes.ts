import { HangarError } from '../../../domain/errors/hangar-error.js';
import { tlsInfo } from '../../tls/tls-info.js';
import type { RouteDef } from '../route-def.js';

/**
 * The managed-identity endpoint `hangar azureml env` points IDENTITY_ENDPOINT at: App Service style
 * (GET, `X-IDENTITY-HEADER`), as azure-identity's ManagedIdentityCredential calls it. The header
 * holds the user's Hangar credential (or, in a compute instance's sessions, the instance's credential
 * for its owner); the answer is a JWT for that user with `aud` = the resource.
 */
export const msiRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/msi/token',
    action: 'Hangar/identity/userToken/action',
    auth: 'public',
    tag: 'Azure ML (ARM)',
    summary: 'An access token (JWT) for the user whose credential is in X-IDENTITY-HEADER',
    query: [
      { name: 'resource', description: 'Audience, e.g. https://management.azure.com', required: true },
      { name: 'api-version', description: 'Any (azure-identity sends 2019-08-01)' },
    ],
    handler: async (input) => {
      // Scripts' credential: X-IDENTITY-HEADER (azure-identity); the CLI's `--token` sends its bearer.
      const header =
        input.header('x-identity-header') ??
        input.header('secret') ??
        /^Bearer\s+(\S+)$/i.exec(input.header('authorization') ?? '')?.[1];
      // A compute instance's sessions hold a credential for its owner that only this endpoint takes.
      const access = input.services.access;
      const principal = header
        ? ((await access.instanceOwnerOfToken(header)) ?? (await access.authenticate(header)))
        : undefined;
      if (!principal)
        throw new HangarError(
          'Unauthenticated',
          'The identity endpoint needs a valid Hangar credential in X-IDENTITY-HEADER (IDENTITY_HEADER from `hangar azureml env`).',
          'X-IDENTITY-HEADER',
        );
      const resource = input.query.resource ?? '';
      if (!resource)
        throw new HangarError(
          'ValidationFailed',
          "resource: required (the token's audience, e.g. https://management.azure.com); got nothing.",
          'resource',
        );
      const { token, expiresOn, audience } = await input.services.access.userAccessToken(principal, resource);
      return {
        status: 200,
        body: {
          access_token: token,
          expires_on: String(expiresOn),
          resource: audience,
          token_type: 'Bearer',
          client_id: principal.objectId,
        },
      };
    },
  },
];

/** Where the Azure ML SDK reaches this server (`hangar azureml env` reads it). */
export const connectionRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/api/azureml/connection',
    action: 'Hangar/azureml/connection/read',
    auth: 'self',
    tag: 'Azure ML (ARM)',
    summary: "The HTTPS URL for the Azure ML SDK and the CA that signed the server's certificate",
    handler: (input) => {
      const cfg = input.services.ctx.config;
      const info = tlsInfo(cfg.home, cfg.advertiseUrl);
      if (!info)
        throw new HangarError(
          'OperationNotSupported',
          'This server has no HTTPS listener (tls.enabled is false); the Azure ML SDK needs one.',
          'tls.enabled',
        );
      return Promise.resolve({ status: 200, body: info });
    },
  },
];
