/** A CLI mistake (bad flags, unreadable file): exit code 2. */
export class UsageError extends Error {}
