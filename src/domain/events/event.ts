/** Something that happened to a resource, with why: scaling decisions, state changes, denials. */
export interface EventRecord {
  id: number;
  at: string;
  workspace: string;
  /** Kind and name of the resource, e.g. compute/cpu-cluster. */
  resource: string;
  /** Machine-readable reason, e.g. Created, ScaleUp, QuotaExceeded. */
  reason: string;
  message: string;
  level: 'Info' | 'Warning' | 'Error';
}

/** An event before the store gives it an id. */
export type NewEvent = Omit<EventRecord, 'id'>;
