/**
 * The one catalogue of error codes. Every error the API returns carries one of these codes;
 * docs/errors.md lists them (a test keeps the two in step).
 */
export const errorCatalogue = {
  ValidationFailed: {
    status: 400,
    description:
      'The request body, a query parameter or a flag broke a rule; `details` lists every problem with its field, rule and value.',
  },
  InvalidName: {
    status: 400,
    description: 'A resource name breaks the naming rules (length, characters, first letter, hyphens).',
  },
  ImmutableField: {
    status: 400,
    description:
      'An update tried to change a field that is fixed at creation (size, priority, SSH access, location, type).',
  },
  UnknownLocation: {
    status: 400,
    description: 'The location is not one the operator configured; the message lists the valid ones.',
  },
  UnknownVmSize: {
    status: 400,
    description: 'The VM size is not in the catalog or not offered in the location.',
  },
  LocationNotAllowed: { status: 400, description: 'A compute instance must live in its workspace location.' },
  OperationNotSupported: {
    status: 400,
    description: 'The operation does not apply to this kind of compute (for example start on a cluster).',
  },
  InvalidJson: { status: 400, description: 'The request body is not valid JSON.' },
  PipelineGraphInvalid: {
    status: 400,
    description:
      "A pipeline's bindings do not form a graph Hangar can run: a binding names no pipeline input, step or output, or the steps read from each other in a cycle; the message names the YAML field and its value.",
  },
  NotFound: {
    status: 404,
    description:
      'The workspace, compute or other resource does not exist (snapshots and blobs: or the caller may read no job that holds them, so their existence does not leak).',
  },
  RouteNotFound: { status: 404, description: 'No API route matches the method and path.' },
  NameConflict: {
    status: 409,
    description:
      'A resource with that name already exists (compute names are unique per location across all workspaces).',
  },
  AssetVersionExists: {
    status: 409,
    description:
      'An asset version (data, model, component, environment) exists with different content; versions are immutable: the message names name:version; give a new version or omit it to take the next.',
  },
  ScopeLocked: {
    status: 409,
    description:
      'A workspace lock (CanNotDelete or ReadOnly) forbids the operation; the message names the lock.',
  },
  Conflict: {
    status: 409,
    description: 'The resource is in a state that does not allow the operation (for example being deleted).',
  },
  QuotaExceeded: {
    status: 422,
    description:
      'The request needs more cores than the quota allows; the message names family, usage, limit and request.',
  },
  NotImplemented: {
    status: 501,
    description:
      'The route, job type (sweep, pipeline, automl, …) or CLI group exists in Azure ML but arrives in a later Hangar release; the message says which (see docs/azure-ml-compatibility.md).',
  },
  AuthorizationFailed: {
    status: 403,
    description:
      'The caller may not do this: none of its roles at the scope allow the action (the message names both), or an instance rule (only its owner opens its applications and changes its SSH keys, setup scripts, custom applications and SSO; the message names the owner).',
  },
  ApplicationUnavailable: {
    status: 409,
    description:
      'An instance application cannot be reached now (instance not running, app not started or failed); the message says why.',
  },
  ProviderError: {
    status: 502,
    description:
      "A backend refused (Slurm: invalid partition, QOS limit, down nodes; SSH): the message quotes the backend's own words.",
  },
  Unauthenticated: {
    status: 401,
    description:
      'No valid credentials: the bearer token, session cookie, node token or identity secret is missing, unknown, expired or revoked.',
  },
  LogGap: {
    status: 409,
    description:
      'A log chunk starts beyond the bytes the server holds; `details` gives the length to resend from.',
  },
  EnvironmentNotResolvable: {
    status: 400,
    description:
      'A job names an environment that is neither registered nor aliased; the message says how to add one.',
  },
  JobCannotRun: {
    status: 422,
    description:
      'A job could never run where it was sent (compute kind, size of the request, quota); the message says why.',
  },
  UnsafeArchive: {
    status: 400,
    description:
      'A snapshot holds an absolute path, a `..` segment, an entry under one of its own links, or a link that escapes its folder (alone or through its other links); it is refused.',
  },
  SnapshotTooLarge: {
    status: 413,
    description: 'A code snapshot is above the configured limit; the message lists the largest files.',
  },
  HashMismatch: { status: 400, description: 'An uploaded blob does not match the sha256 it was sent under.' },
  MalformedRequest: {
    status: 400,
    description:
      'The HTTP request itself is broken (bad request line, header, path escape or cookie encoding); the message says which part.',
  },
  RequestHeaderTooLarge: {
    status: 431,
    description:
      'The request headers (cookies included) are larger than the server accepts; the message gives the limit.',
  },
  RequestTimeout: {
    status: 408,
    description: 'The request headers or body did not arrive in time; the connection is closed.',
  },
  TooManyRequests: {
    status: 429,
    description:
      'Too many failed sign-ins for this user or from this address; the `Retry-After` header says in how many seconds to try again.',
  },
  InsufficientStorage: {
    status: 507,
    description:
      'The server has no space left (disk or quota full) for what the request writes; the message names what could not be stored.',
  },
  BadGateway: {
    status: 502,
    description:
      "An instance's application gateway could not be reached, or could not reach the application; the message quotes why.",
  },
  TooManyPendingRequests: {
    status: 429,
    description:
      "An online endpoint's deployment has more than 2 × max_concurrent_requests_per_instance × instances requests pending (Azure's rule), or a request waited max_queue_wait_ms for a free replica (or, on a deployment scaled to zero, for its first replica to start); `Retry-After` says when to try again.",
  },
  ScoringTimeout: {
    status: 408,
    description: "A deployment's scoring host did not answer within its request_settings.request_timeout_ms.",
  },
  ScoringGatewayTimeout: {
    status: 504,
    description:
      "A Kubernetes online deployment's scoring host did not answer within its request_settings.request_timeout_ms (azureml-fe's 504).",
  },
  ModelError: {
    status: 424,
    description:
      "A deployment's scoring host answered other than 200 (run() raised) or could not be reached; headers ms-azureml-model-error-statuscode and -reason carry its answer.",
  },
  DeploymentNotReady: {
    status: 503,
    description:
      'The online deployment chosen for a request has no ready replica (still starting, or every replica failed its readiness probe).',
  },
  ServerBusy: {
    status: 503,
    description:
      "More writes are waiting for a turn than the server's `admission.queuedWrites` allows; the request was not run, and `Retry-After` says when to try again.",
  },
  InternalError: { status: 500, description: 'An unexpected server error; the server log has the stack.' },
} as const satisfies Record<string, { status: number; description: string }>;

/** A code from the catalogue. */
export type ErrorCode = keyof typeof errorCatalogue;
