import { VersionedAssets, type ArmResource } from './assets.js';
import type { HttpClient } from './http-client.js';

/** An environment version as returned by the API (Azure's envelope: `name` is the version). */
export type EnvironmentVersion = ArmResource;

/** Environments of one workspace: containers, versions, reuse, archive/restore. */
export class Environments extends VersionedAssets {
  constructor(http: HttpClient, workspace: string) {
    super(http, workspace, 'environments');
  }
}
