import { HangarError } from '../errors/hangar-error.js';
import { literalValue, type JobInput } from './job-spec.js';

/** Where the agent places a file/folder input, relative to the job's working directory. */
export function inputPlacement(name: string, input: JobInput): string {
  if (typeof input === 'object' && input.type === 'uri_file') {
    const base =
      input.path
        .split('/')
        .filter((p) => p !== '')
        .pop() ?? name;
    return `inputs/${name}/${base}`;
  }
  return `inputs/${name}`;
}

/** Where a job's output lives, relative to the job's working directory (`${{outputs.x}}`). */
export function outputPlacement(name: string): string {
  return `outputs/${name}`;
}

/**
 * The output folders the agent creates before the command runs: every output but a uri_file
 * one (whose path names a file the job writes inside ./outputs).
 */
export function outputFolders(outputs: Record<string, { type?: string } | null | undefined>): string[] {
  return Object.entries(outputs)
    .filter(([, o]) => o?.type !== 'uri_file')
    .map(([name]) => outputPlacement(name));
}

/**
 * Renders a command the way az ml does: `${{inputs.x}}` → the literal value or the placed path,
 * `${{outputs.y}}` → outputs/y; `$[[ … ]]` blocks are dropped when an input they use is absent.
 */
export function renderCommand(
  command: string,
  inputs: Record<string, JobInput>,
  outputs: Record<string, unknown>,
  /** Resolved inputs: where the agent places each (or a `direct` input's URI), overriding the spec's path. */
  placed: Record<string, string> = {},
): string {
  const valueOf = (kind: string, name: string, strict: boolean): string | undefined => {
    if (kind === 'outputs') {
      if (name in outputs) return outputPlacement(name);
    } else if (kind === 'inputs') {
      const input = inputs[name];
      if (input !== undefined && Object.hasOwn(placed, name)) return placed[name];
      if (input !== undefined) {
        const literal = literalValue(input);
        if (literal !== undefined) return String(literal);
        if (typeof input === 'object' && 'path' in input) return inputPlacement(name, input);
      }
    } else {
      throw new HangarError(
        'ValidationFailed',
        `command: '\${{${kind}.${name}}}' is not supported here (only inputs.* and outputs.*).`,
        'command',
      );
    }
    if (!strict) return undefined;
    const defined = Object.keys(kind === 'inputs' ? inputs : outputs);
    throw new HangarError(
      'ValidationFailed',
      `command: '\${{${kind}.${name}}}' names no ${kind.slice(0, -1)}; defined ${kind}: ${defined.length > 0 ? defined.join(', ') : 'none'}.`,
      'command',
    );
  };
  const pattern = /\$\{\{\s*(\w+)\.(\w+)\s*\}\}/g;
  const optional = command.replace(/\$\[\[(.*?)\]\]/gs, (_m, body: string) => {
    let missing = false;
    const rendered = body.replace(
      pattern,
      (_x, kind: string, name: string) => valueOf(kind, name, false) ?? ((missing = true), ''),
    );
    return missing ? '' : rendered;
  });
  return optional.replace(pattern, (_m, kind: string, name: string) => valueOf(kind, name, true) ?? '');
}
