import { z } from 'zod';

/**
 * The web terminal's one control message, a text frame: `{"type":"resize","rows":R,"cols":C}`.
 * Every other frame is typed input (what xterm.js's onData gives), written to the pty as it is.
 */
export const terminalResizeSchema = z.object({
  type: z.literal('resize'),
  rows: z.number().int().min(1).max(1000),
  cols: z.number().int().min(1).max(1000),
});
export type TerminalResize = z.infer<typeof terminalResizeSchema>;

/** The resize a frame asks for, or undefined when the frame is input. */
export function resizeOf(frame: string): TerminalResize | undefined {
  if (!frame.startsWith('{"type":"resize"')) return undefined;
  try {
    const parsed = terminalResizeSchema.safeParse(JSON.parse(frame));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
