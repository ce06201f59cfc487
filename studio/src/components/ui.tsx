import { useEffect, useId, useRef, type ReactNode } from 'react';
import { errorText } from '../lib/api.js';

const tones: Record<string, string> = {
  Running: 'ok',
  Succeeded: 'ok',
  Completed: 'ok',
  JobRunning: 'ok',
  Steady: 'ok',
  idle: 'ok',
  running: 'ok',
  Creating: 'busy',
  Starting: 'busy',
  SettingUp: 'busy',
  Restarting: 'busy',
  Stopping: 'busy',
  Updating: 'busy',
  Resizing: 'busy',
  Queued: 'busy',
  Preparing: 'busy',
  Provisioning: 'busy',
  Finalizing: 'busy',
  CancelRequested: 'busy',
  Deleting: 'busy',
  preparing: 'busy',
  leaving: 'busy',
  NotStarted: 'busy',
  Failed: 'bad',
  CreateFailed: 'bad',
  SetupFailed: 'bad',
  Unusable: 'bad',
  unusable: 'bad',
  NotResponding: 'bad',
  preempted: 'bad',
  Canceled: 'muted',
  Stopped: 'muted',
  Unknown: 'muted',
};

/** A state as a coloured badge (colour is never the only cue: the word is always shown). */
export function Badge({ state }: { state: string | undefined | null }): ReactNode {
  const s = state ?? 'Unknown';
  return (
    <span className={`badge badge-${tones[s] ?? 'muted'}`} data-state={s}>
      {s}
    </span>
  );
}

/** An error from the API in the one place a page shows errors, announced to screen readers. */
export function ErrorBanner({ error }: { error: unknown }): ReactNode {
  if (error === undefined || error === null) return null;
  return (
    <div className="error" role="alert">
      {errorText(error)}
    </div>
  );
}

/** A labelled form row; the label names the control for assistive technology. */
export function Field({
  label,
  hint,
  error,
  children,
  id,
}: {
  label: string;
  hint?: ReactNode;
  error?: string[];
  children: (id: string, describedBy: string | undefined) => ReactNode;
  id?: string;
}): ReactNode {
  const auto = useId();
  const fieldId = id ?? auto;
  const hintId = `${fieldId}-hint`;
  const errId = `${fieldId}-err`;
  const describedBy = [hint ? hintId : '', error?.length ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      {children(fieldId, describedBy)}
      {hint && (
        <div className="hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && error.length > 0 && (
        <ul className="field-errors" id={errId} aria-live="polite">
          {error.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A modal confirmation (a native <dialog>: focus is trapped and Escape cancels). */
export function Confirm({
  open,
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onCancel={onCancel} aria-labelledby="confirm-title">
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={danger ? 'danger' : 'primary'} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** Accessible tabs: arrow keys move between them, the selected one is the only tab stop. */
export function Tabs<K extends string>({
  tabs,
  selected,
  onSelect,
  label,
}: {
  tabs: { key: K; label: string }[];
  selected: K;
  onSelect: (k: K) => void;
  label: string;
}): ReactNode {
  const onKey = (e: React.KeyboardEvent, i: number): void => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    if (!next) return;
    onSelect(next.key);
    (e.currentTarget.parentElement?.querySelector(`[data-key="${next.key}"]`) as HTMLElement | null)?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((t, i) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          data-key={t.key}
          aria-selected={t.key === selected}
          tabIndex={t.key === selected ? 0 : -1}
          onClick={() => onSelect(t.key)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** Label/value pairs for a resource's properties. */
export function Properties({ rows }: { rows: [string, ReactNode][] }): ReactNode {
  return (
    <dl className="properties">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === undefined || v === null || v === '' ? '—' : v}</dd>
        </div>
      ))}
    </dl>
  );
}
