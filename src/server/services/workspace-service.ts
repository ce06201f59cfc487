import { HangarError, notFound, throwIfProblems, type Problem } from '../../domain/errors/hangar-error.js';
import { assertNotLocked, type LockSpec, type WorkspaceRecord } from '../../domain/workspace/workspace.js';
import type { Page, PageRequest } from '../../store/store.js';
import type { ServiceContext } from './service-context.js';
import { canonicalLocation } from './location-service.js';

const workspaceName = /^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$/;

/** Body of PUT /workspaces/{name}. */
export interface WorkspaceRequest {
  location?: string;
  description?: string;
  tags?: Record<string, string>;
}

/** Workspaces and their locks. */
export class WorkspaceService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Creates the default workspace on first start (idempotent). */
  async ensureDefault(): Promise<void> {
    const { name, location } = this.ctx.config.defaultWorkspace;
    if (await this.ctx.store.workspaces.get(name)) return;
    await this.createOrUpdate(name, { location, description: 'Default workspace' });
  }

  async get(name: string): Promise<WorkspaceRecord> {
    const ws = await this.ctx.store.workspaces.get(name);
    if (!ws) throw notFound('Workspace', name);
    return ws;
  }

  /** A page of workspaces: all of them, or only those named (lower case), the ones the caller may read. */
  list(page: PageRequest, only: 'all' | readonly string[] = 'all'): Promise<Page<WorkspaceRecord>> {
    return only === 'all' ? this.ctx.store.workspaces.list(page) : this.ctx.store.workspaces.list(page, only);
  }

  async createOrUpdate(
    name: string,
    body: WorkspaceRequest,
  ): Promise<{ record: WorkspaceRecord; created: boolean }> {
    const problems: Problem[] = [];
    if (!workspaceName.test(name)) {
      problems.push({
        code: 'InvalidName',
        target: 'name',
        message: `name must be 3–33 characters: letters, digits, '_' and '-', starting with a letter or digit; got '${name}'`,
      });
    }
    const known = this.ctx.config.locations.map((l) => l.name);
    const existing = await this.ctx.store.workspaces.get(name);
    const location = canonicalLocation(
      this.ctx.config,
      body.location ?? existing?.location ?? this.ctx.config.defaultWorkspace.location,
    );
    if (!known.includes(location))
      problems.push({
        code: 'UnknownLocation',
        target: 'location',
        message: `location '${location}' is not configured; valid locations: ${known.join(', ')}`,
      });
    if (existing && location !== existing.location)
      problems.push({
        code: 'ImmutableField',
        target: 'location',
        message: `location cannot change after creation (it is '${existing.location}'; got '${location}')`,
      });
    throwIfProblems(problems);
    const now = this.ctx.clock.now().toISOString();
    if (existing) {
      assertNotLocked(existing, 'write', `workspace '${name}'`);
      const record = await this.ctx.store.workspaces.update({
        ...existing,
        description: body.description ?? existing.description,
        tags: body.tags ?? existing.tags,
        modifiedAt: now,
      });
      return { record, created: false };
    }
    const record: WorkspaceRecord = {
      name,
      location,
      tags: body.tags ?? {},
      locks: [],
      createdAt: now,
      modifiedAt: now,
      version: 1,
    };
    if (body.description !== undefined) record.description = body.description;
    await this.ctx.store.workspaces.insert(record);
    return { record, created: true };
  }

  async delete(name: string): Promise<void> {
    const ws = await this.get(name);
    assertNotLocked(ws, 'delete', `workspace '${name}'`);
    const computes = await this.ctx.store.computes.all({ workspace: name });
    if (computes.length > 0) {
      throw new HangarError(
        'Conflict',
        `Workspace '${name}' still has ${computes.length} compute(s) (${computes.map((c) => c.name).join(', ')}); delete them first.`,
        name,
      );
    }
    await this.ctx.store.workspaces.delete(name);
  }

  /** Sets the compute-instance policy; it applies to instances created from now on. */
  async putInstancePolicy(
    workspace: string,
    policy: NonNullable<WorkspaceRecord['computeInstancePolicy']>,
  ): Promise<WorkspaceRecord> {
    const ws = await this.get(workspace);
    assertNotLocked(ws, 'write', `workspace '${workspace}'`);
    return this.ctx.store.workspaces.update({
      ...ws,
      computeInstancePolicy: policy,
      modifiedAt: this.ctx.clock.now().toISOString(),
    });
  }

  /** Adds or replaces a lock; locks themselves can always be changed (that is how they are removed). */
  async putLock(workspace: string, lock: LockSpec): Promise<WorkspaceRecord> {
    const ws = await this.get(workspace);
    const locks = [...ws.locks.filter((l) => l.name !== lock.name), lock];
    return this.ctx.store.workspaces.update({ ...ws, locks, modifiedAt: this.ctx.clock.now().toISOString() });
  }

  async deleteLock(workspace: string, lockName: string): Promise<void> {
    const ws = await this.get(workspace);
    if (!ws.locks.some((l) => l.name === lockName))
      throw notFound('Lock', lockName, `workspace '${workspace}'`);
    await this.ctx.store.workspaces.update({
      ...ws,
      locks: ws.locks.filter((l) => l.name !== lockName),
      modifiedAt: this.ctx.clock.now().toISOString(),
    });
  }
}
