import { useEffect, useRef, useState, type ReactNode } from 'react';
import { wsPath } from '../lib/api.js';

/**
 * A job's log, live: the server-sent events of /logs/stream (log chunks, status, end) through
 * EventSource, which sends the session cookie and reconnects on its own.
 */
export function LogView({ job, file }: { job: string; file: string }): ReactNode {
  const [text, setText] = useState('');
  const [state, setState] = useState('connecting');
  const pre = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  useEffect(() => {
    setText('');
    setState('connecting');
    // Attempts each have their own log; the stream announces the attempt with every chunk.
    let attempt = 0;
    const es = new EventSource(
      `${wsPath()}/jobs/${encodeURIComponent(job)}/logs/stream?file=${encodeURIComponent(file)}`,
    );
    es.addEventListener('log', (e: MessageEvent<string>) => {
      const d = JSON.parse(e.data) as { attempt: number; text: string };
      setText(
        (t) => (d.attempt !== attempt && attempt !== 0 ? `${t}\n--- attempt ${d.attempt} ---\n` : t) + d.text,
      );
      attempt = d.attempt;
      setState('live');
    });
    es.addEventListener('status', (e: MessageEvent<string>) =>
      setState(`live (${(JSON.parse(e.data) as { status: string }).status})`),
    );
    es.addEventListener('end', (e: MessageEvent<string>) => {
      setState(`ended: ${(JSON.parse(e.data) as { status: string }).status}`);
      es.close();
    });
    es.onerror = () => setState((s) => (s.startsWith('ended') ? s : 'reconnecting…'));
    return () => es.close();
  }, [job, file]);
  useEffect(() => {
    const el = pre.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <div className="log">
      <p className="hint" role="status" data-log-state={state}>
        Log {file}: {state}
      </p>
      <pre
        ref={pre}
        tabIndex={0}
        aria-label={`Log ${file}`}
        className="log-text"
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {text || ' '}
      </pre>
    </div>
  );
}
