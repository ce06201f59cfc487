import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';

type Phase = 'connecting' | 'open' | 'closed';

/**
 * The columns and rows that fit the host element (the width) and the window below it (the
 * height), from the size of the cells xterm.js has drawn.
 */
function fittingSize(el: HTMLElement, term: Terminal): { cols: number; rows: number } | undefined {
  const screen = el.querySelector<HTMLElement>('.xterm-screen');
  if (!screen || screen.clientWidth === 0 || screen.clientHeight === 0) return undefined;
  const cellWidth = screen.clientWidth / term.cols;
  const cellHeight = screen.clientHeight / term.rows;
  const style = getComputedStyle(el);
  const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  const width = el.clientWidth - padX;
  const height = window.innerHeight - el.getBoundingClientRect().top - padY - 16;
  return {
    cols: Math.max(20, Math.floor(width / cellWidth)),
    rows: Math.max(5, Math.floor(height / cellHeight)),
  };
}

/**
 * The instance's web terminal: xterm.js over the instance's terminal application, a pty behind
 * a WebSocket at /apps/{workspace}/{instance}/terminal/ (the session cookie authenticates it).
 * It follows the window's size: each change is sent as {"type":"resize","rows","cols"}.
 */
export function TerminalPage({ name }: { name: string }): ReactNode {
  const host = useRef<HTMLDivElement>(null);
  const [phase, setPhase] = useState<Phase>('connecting');
  const [reason, setReason] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      cols: 100,
      rows: 30,
      cursorBlink: true,
      convertEol: false,
      fontFamily: 'monospace',
      screenReaderMode: true,
    });
    term.open(el);
    const first = fittingSize(el, term);
    if (first) term.resize(first.cols, first.rows);
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(
      `${proto}://${location.host}/apps/${encodeURIComponent(api().workspace)}/${encodeURIComponent(name)}/terminal/?rows=${term.rows}&cols=${term.cols}`,
    );
    ws.binaryType = 'arraybuffer';
    setPhase('connecting');
    ws.onopen = () => {
      setPhase('open');
      term.focus();
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) =>
      term.write(typeof e.data === 'string' ? e.data : new Uint8Array(e.data));
    ws.onclose = (e) => {
      setPhase('closed');
      setReason(e.reason || (e.code === 1006 ? 'the instance refused or is not running' : `code ${e.code}`));
    };
    const input = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(d));
    const resized = term.onResize(
      ({ cols, rows }) =>
        ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'resize', rows, cols })),
    );
    const fit = (): void => {
      const size = fittingSize(el, term);
      if (size && (size.cols !== term.cols || size.rows !== term.rows)) term.resize(size.cols, size.rows);
    };
    const observer = new ResizeObserver(fit);
    observer.observe(el);
    window.addEventListener('resize', fit);
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', fit);
      resized.dispose();
      input.dispose();
      ws.close();
      term.dispose();
    };
  }, [name, attempt]);
  return (
    <section aria-labelledby="term-title">
      <p className="crumbs">
        <Link to="/computes?tab=instances">Compute</Link> /{' '}
        <Link to={`/computes/${encodeURIComponent(name)}`}>{name}</Link> / Terminal
      </p>
      <h1 id="term-title">Terminal on {name}</h1>
      <p role="status" className="term-status" data-phase={phase}>
        {phase === 'connecting'
          ? 'Connecting…'
          : phase === 'open'
            ? 'Connected. Type exit to end the session.'
            : `Disconnected: ${reason ?? ''}.`}
        {phase === 'closed' && (
          <button type="button" onClick={() => setAttempt((a) => a + 1)}>
            Reconnect
          </button>
        )}
      </p>
      <div className="terminal-host" ref={host} aria-label={`Terminal on ${name}`} />
    </section>
  );
}
