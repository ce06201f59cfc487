// A module loader hook that records every package a process loads (for the startup-cost test).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (
    process.env.HANGAR_TRACE_FILE &&
    !specifier.startsWith('.') &&
    !specifier.startsWith('node:') &&
    !specifier.startsWith('file:')
  )
    appendFileSync(process.env.HANGAR_TRACE_FILE, `${specifier}\n`);
  return result;
}
