import { closeSync, readSync } from 'node:fs';
import { openInside } from './log-shipper.js';

/**
 * The port a replica's scoring host wrote to `file` in its code folder. The job owns that folder,
 * so the file is read as a hostile job may have left it: no link followed, only a plain file, and
 * only a port number (1–65535) counts; anything else is "not yet".
 */
export function readServingPort(codeDir: string, file: string): number | undefined {
  const fd = openInside(codeDir, file);
  if (fd === undefined) return undefined;
  try {
    const buf = Buffer.alloc(16);
    const text = buf
      .subarray(0, readSync(fd, buf, 0, 16, 0))
      .toString('utf8')
      .trim();
    const n = Number(text);
    return /^[0-9]{1,5}$/.test(text) && n >= 1 && n <= 65535 ? n : undefined;
  } finally {
    closeSync(fd);
  }
}
