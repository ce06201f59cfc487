import { useCallback, useEffect, useRef, useState } from 'react';
import { reportIfSessionEnded } from './api.js';

/** What a polled read holds: the last good value, the last error, and a way to read again now. */
export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  refresh: () => void;
}

/**
 * Reads at once, then every `everyMs` (0: only on refresh) while the page is shown. A failed
 * read keeps the last good data, so a blip does not blank the page.
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);

  const read = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
    } catch (err) {
      reportIfSessionEnded(err);
      if (mine === generation.current) setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setData(undefined);
    setLoading(true);
    void read();
    if (everyMs <= 0) return () => void ++generation.current;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void read();
    }, everyMs);
    return () => {
      clearInterval(timer);
      ++generation.current;
    };
  }, deps);

  return { data, error, loading, refresh: () => void read() };
}
