/** One metric value, as MLflow logs it. */
export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch (the caller's clock, as MLflow does). */
  timestamp: number;
  step: number;
}

/** A param or tag of a run (a job). */
export interface KeyValue {
  key: string;
  value: string;
}
