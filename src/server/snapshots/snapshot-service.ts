import type { ServiceContext } from '../services/service-context.js';

/** Content-addressed blobs and snapshot manifests (placeholder until the snapshot work lands). */
export class SnapshotService {
  constructor(readonly ctx: ServiceContext) {}
}
