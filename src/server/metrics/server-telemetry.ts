import { Histogram, type Family } from './prometheus-text.js';

/**
 * What the server measures about itself as it runs: API latency by route and the duration of each
 * reconcile loop's passes. One per server (two servers in one process share nothing).
 */
export class ServerTelemetry {
  readonly api = new Histogram(
    'hangar_http_request_duration_seconds',
    'Time to answer API requests, by method, route (the path template) and status class.',
  );
  readonly loops = new Histogram(
    'hangar_reconcile_pass_duration_seconds',
    'Duration of one pass of a reconcile loop (scheduler, node pool, provisioning, health, instances), by loop.',
  );

  /** For the loop runners: one pass of `loop` took `seconds`. */
  readonly loopPass = (loop: string, seconds: number): void => this.loops.observe({ loop }, seconds);

  families(): Family[] {
    return [this.api.family(), this.loops.family()];
  }
}
