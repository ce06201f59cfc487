import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { api } from '../lib/api.js';
import { Link } from '../lib/router.js';

type Phase = 'connecting' | 'open' | 'closed';

/**
 * The instance's web terminal: xterm.js over the instance's terminal application, a pty behind
 * a WebSocket at /apps/{workspace}/{instance}/terminal/ (the session cookie authenticates it).
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
    return () => {
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
