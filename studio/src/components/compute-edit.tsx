import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, errorText } from '../lib/api.js';
import { kindOf } from '../../../src/domain/compute/compute-kinds.js';
import { minutesToIso, parseIsoDuration, secondsToIso } from '../../../src/domain/compute/iso-duration.js';
import { inner, scaleOf, type Compute } from '../lib/computes.js';
import { SchedulesEditor, type Schedule } from '../forms/schedules-editor.js';
import { Field } from './ui.js';

function useSave(
  name: string,
  onSaved: () => void,
): {
  save: (props: Record<string, unknown>) => Promise<void>;
  status: string | undefined;
  error: string | undefined;
} {
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<string>();
  const save = async (props: Record<string, unknown>): Promise<void> => {
    setStatus(undefined);
    setError(undefined);
    try {
      await api().computes.patch(name, { properties: { properties: props } });
      setStatus('Saved.');
      onSaved();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return { save, status, error };
}

function Outcome({ status, error }: { status: string | undefined; error: string | undefined }): ReactNode {
  return (
    <>
      {status && (
        <p role="status" className="ok">
          {status}
        </p>
      )}
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
    </>
  );
}

function ScaleEdit({ c, onSaved }: { c: Compute; onSaved: () => void }): ReactNode {
  const s = scaleOf(c);
  const [min, setMin] = useState(s.min);
  const [max, setMax] = useState(s.max);
  const [idle, setIdle] = useState((s.idleTime ? parseIsoDuration(s.idleTime) : undefined) ?? 120);
  const { save, status, error } = useSave(c.name, onSaved);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void save({
      scaleSettings: {
        minNodeCount: min,
        maxNodeCount: max,
        nodeIdleTimeBeforeScaleDown: secondsToIso(idle),
      },
    });
  };
  return (
    <form onSubmit={submit} aria-label="Scale settings">
      <div className="row">
        <Field label="Minimum nodes">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              value={min}
              onChange={(e) => setMin(Number(e.target.value))}
            />
          )}
        </Field>
        <Field label="Maximum nodes">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              value={max}
              onChange={(e) => setMax(Number(e.target.value))}
            />
          )}
        </Field>
        <Field label="Idle seconds before scale down">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              value={idle}
              onChange={(e) => setIdle(Number(e.target.value))}
            />
          )}
        </Field>
      </div>
      <button type="submit">Save scale settings</button>
      <Outcome status={status} error={error} />
    </form>
  );
}

function InstanceEdit({ c, onSaved }: { c: Compute; onSaved: () => void }): ReactNode {
  const p = inner(c);
  const current = Math.round(
    ((typeof p.idleTimeBeforeShutdown === 'string'
      ? parseIsoDuration(p.idleTimeBeforeShutdown)
      : undefined) ?? 0) / 60,
  );
  const [minutes, setMinutes] = useState(current || 60);
  const [schedules, setSchedules] = useState<Schedule[]>(
    ((p.schedules as { computeStartStop?: Schedule[] } | undefined)?.computeStartStop ?? []).map(
      ({ action, status, triggerType, cron, recurrence }) => ({
        action,
        status,
        triggerType,
        ...(cron ? { cron } : {}),
        ...(recurrence ? { recurrence } : {}),
      }),
    ),
  );
  const [key, setKey] = useState('');
  const idle = useSave(c.name, onSaved);
  const sched = useSave(c.name, onSaved);
  const ssh = useSave(c.name, onSaved);
  useEffect(() => setMinutes(current || 60), [current]);
  const sshOn = (p.sshSettings as { sshPublicAccess?: string } | undefined)?.sshPublicAccess === 'Enabled';
  return (
    <>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void idle.save({ idleTimeBeforeShutdown: minutesToIso(minutes) });
        }}
        aria-label="Idle shutdown"
      >
        <Field
          label="Minutes idle before shutdown"
          hint={current ? `Now ${current} minutes.` : 'Idle shutdown is off.'}
        >
          {(id, d) => (
            <input
              id={id}
              type="number"
              min={15}
              max={4320}
              aria-describedby={d}
              value={minutes}
              onChange={(e) => setMinutes(Number(e.target.value))}
            />
          )}
        </Field>
        <button type="submit">Save idle shutdown</button>
        <Outcome status={idle.status} error={idle.error} />
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void sched.save({ schedules: { computeStartStop: schedules } });
        }}
        aria-label="Schedules"
      >
        <h3>Schedules</h3>
        <SchedulesEditor value={schedules} onChange={setSchedules} />
        <button type="submit">Save schedules</button>
        <Outcome status={sched.status} error={sched.error} />
      </form>
      {sshOn && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void ssh.save({ sshSettings: { adminPublicKey: key.trim() } });
          }}
          aria-label="SSH key"
        >
          <Field label="Update SSH public key" hint="Reaches the running instance without a restart.">
            {(id, d) => (
              <textarea
                id={id}
                rows={2}
                aria-describedby={d}
                value={key}
                onChange={(e) => setKey(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" disabled={!key.trim()}>
            Save SSH key
          </button>
          <Outcome status={ssh.status} error={ssh.error} />
        </form>
      )}
    </>
  );
}

/** The fields of a compute that can change after creation. */
export function ComputeEdit({ c, onSaved }: { c: Compute; onSaved: () => void }): ReactNode {
  const kind = kindOf(c.properties);
  if (!kind.scalable && !kind.isInstance) return null;
  return (
    <section aria-labelledby="edit-title" className="edit">
      <h2 id="edit-title">Settings</h2>
      {kind.isInstance ? <InstanceEdit c={c} onSaved={onSaved} /> : <ScaleEdit c={c} onSaved={onSaved} />}
    </section>
  );
}
