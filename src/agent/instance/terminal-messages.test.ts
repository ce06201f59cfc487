import { describe, expect, it } from 'vitest';
import { resizeOf } from './terminal-messages.js';

describe('web terminal frames', () => {
  it('reads a resize message', () => {
    expect(resizeOf('{"type":"resize","rows":40,"cols":120}')).toEqual({
      type: 'resize',
      rows: 40,
      cols: 120,
    });
  });

  it('treats anything else as typed input', () => {
    expect(resizeOf('ls -l\r')).toBeUndefined();
    expect(resizeOf('{"type":"resize","rows":0,"cols":120}')).toBeUndefined();
    expect(resizeOf('{"type":"resize","rows":"40","cols":120}')).toBeUndefined();
    expect(resizeOf('{"type":"resize", broken')).toBeUndefined();
    expect(resizeOf(' {"type":"resize","rows":40,"cols":120}')).toBeUndefined();
  });
});
