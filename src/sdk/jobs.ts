import type { JobResource } from '../domain/jobs/job-view.js';
import type { MetricPoint } from '../domain/metrics/run-data.js';
import type { HttpClient } from './http-client.js';

/** A job submission: the az ml job (as JSON) plus uploaded snapshot ids. */
export interface JobSubmission {
  spec: Record<string, unknown>;
  codeSnapshotId?: string;
  inputSnapshots?: Record<string, string>;
}

/** Azure's ListViewType for job lists. */
export type JobListView = 'ActiveOnly' | 'ArchivedOnly' | 'All';

/** What `job update` may change. */
export interface JobChanges {
  displayName?: string;
  description?: string | null;
  tags?: Record<string, string | null>;
  properties?: Record<string, string | null>;
  isArchived?: boolean;
}

/** One server-sent event of a log stream. */
export interface LogEvent {
  event: 'log' | 'status' | 'end' | 'ping';
  data: Record<string, unknown>;
}

/** Jobs of one workspace. */
export class Jobs {
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string,
  ) {}

  private base(name?: string): string {
    return `/api/workspaces/${encodeURIComponent(this.workspace)}/jobs${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** Submits a job; one sent to `local` comes back with `localAgentToken` for the submitter's own agent. */
  create(submission: JobSubmission, name?: string): Promise<JobResource & { localAgentToken?: string }> {
    return name
      ? this.http.request('PUT', this.base(name), submission)
      : this.http.request('POST', this.base(), submission);
  }

  get(name: string): Promise<JobResource> {
    return this.http.request('GET', this.base(name));
  }

  /** Newest first; `view` as Azure's ListViewType (archived jobs are left out by default). */
  list(max = 50, view: JobListView = 'ActiveOnly'): Promise<JobResource[]> {
    const viewQuery = view === 'ActiveOnly' ? '' : `&listViewType=${view}`;
    return this.http.listAll(`${this.base()}?$top=${Math.min(max, 1000)}${viewQuery}`, max);
  }

  /** The child jobs of a job (a multi-node job's ranks, a sweep's trials, a pipeline's steps). */
  children(parent: string): Promise<JobResource[]> {
    return this.http.listAll(`${this.base()}?parentJobName=${encodeURIComponent(parent)}`);
  }

  /** Events of a job: environment substitutions, early termination by a sweep policy, registrations. */
  events(name: string, max = 200): Promise<unknown[]> {
    return this.http.listAll(`${this.base(name)}/events?$top=${Math.min(max, 1000)}`, max);
  }

  /** Changes what may change on a submitted job (a null tag or property removes it). */
  update(name: string, changes: JobChanges): Promise<JobResource> {
    return this.http.request('PATCH', this.base(name), { properties: changes });
  }

  archive(name: string): Promise<JobResource> {
    return this.update(name, { isArchived: true });
  }

  restore(name: string): Promise<JobResource> {
    return this.update(name, { isArchived: false });
  }

  cancel(name: string): Promise<JobResource> {
    return this.http.request('POST', `${this.base(name)}/cancel`);
  }

  metrics(
    name: string,
  ): Promise<{ metrics: MetricPoint[]; params: Record<string, string>; tags: Record<string, string> }> {
    return this.http.request('GET', `${this.base(name)}/metrics`);
  }

  metricHistory(name: string, key: string): Promise<{ value: MetricPoint[] }> {
    return this.http.request('GET', `${this.base(name)}/metrics/${encodeURIComponent(key)}/history`);
  }

  /** A whole log file of an attempt. */
  async log(name: string, file = 'user_logs/std_log.txt', attempt?: number): Promise<string> {
    const res = await this.http.raw(
      'GET',
      `${this.base(name)}/logs?file=${encodeURIComponent(file)}${attempt ? `&attempt=${attempt}` : ''}`,
    );
    return res.text();
  }

  /** Follows a job's log as server-sent events until the job ends. */
  async *stream(name: string, file = 'user_logs/std_log.txt'): AsyncGenerator<LogEvent> {
    const res = await this.http.raw('GET', `${this.base(name)}/logs/stream?file=${encodeURIComponent(file)}`);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        const parsed = { event, data: data ? (JSON.parse(data) as Record<string, unknown>) : {} } as LogEvent;
        yield parsed;
        if (parsed.event === 'end') return;
      }
    }
  }
}
