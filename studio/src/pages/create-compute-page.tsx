import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { api, getJson } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';
import { ErrorBanner, Field } from '../components/ui.js';
import { NameField } from '../forms/name-field.js';
import { emptyForm, requestOf, type ComputeForm, type FormKind } from '../forms/compute-form-state.js';
import { TypeSection } from '../forms/type-sections.js';

const titles: Record<FormKind, { title: string; tab: string; verb: string }> = {
  instance: { title: 'New compute instance', tab: 'instances', verb: 'Create' },
  cluster: { title: 'New compute cluster', tab: 'clusters', verb: 'Create' },
  inference: { title: 'New inference cluster', tab: 'inference', verb: 'Create' },
  ssh: { title: 'Attach an SSH machine', tab: 'attached', verb: 'Attach' },
  slurm: { title: 'Attach a Slurm cluster', tab: 'attached', verb: 'Attach' },
};

/**
 * Attaching checks the machine or cluster (reachable, credentials, host key, Node) before it
 * counts as attached: wait for that verdict here, and on failure say why and leave nothing behind.
 */
async function attachOutcome(name: string, onProgress: (text: string) => void): Promise<Error | undefined> {
  for (let waited = 0; waited < 120_000; waited += 500) {
    const c = await api().computes.get(name);
    const state = c.properties.provisioningState;
    if (state === 'Succeeded') return undefined;
    if (state === 'Failed') {
      const errors = c.properties.provisioningErrors.map((e) => e.error);
      await api()
        .computes.delete(name, 'Detach')
        .catch(() => undefined);
      return new Error(
        `${errors[0]?.code ?? 'AttachFailed'}: ${errors.map((e) => e.message).join(' ') || 'the attach failed'} Nothing was attached; correct the form and attach again.`,
      );
    }
    onProgress(`Checking ${name}: ${state}…`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return new Error(`${name} is still being checked; its status is on the Attached computes tab.`);
}

/** A type-specific create or attach form; on success the list shows the new compute's status. */
export function CreateComputePage({ kind }: { kind: string }): ReactNode {
  const k = (kind in titles ? kind : 'instance') as FormKind;
  const [form, setForm] = useState<ComputeForm>(() => emptyForm(k));
  const [nameOk, setNameOk] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [progress, setProgress] = useState<string>();
  const locations = usePoll(() => getJson<{ value: { name: string }[] }>('/api/locations'), 0, []);
  const onValidity = useCallback((ok: boolean) => setNameOk(ok), []);
  const update = (patch: Partial<ComputeForm>): void => setForm((f) => ({ ...f, ...patch }));
  const t = titles[k];
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!nameOk) return;
    setBusy(true);
    setError(undefined);
    try {
      await api().computes.put(form.name, requestOf(form));
      if (t.verb === 'Attach') {
        const failure = await attachOutcome(form.name, setProgress);
        if (failure) {
          setError(failure);
          return;
        }
      }
      navigate(`/computes?tab=${t.tab}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };
  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title">{t.title}</h1>
      <form onSubmit={(e) => void submit(e)} className="compute-form" noValidate>
        <NameField
          value={form.name}
          onChange={(name) => update({ name })}
          family={k === 'inference' ? 'inference' : 'compute'}
          onValidity={onValidity}
        />
        <Field label="Location">
          {(id) => (
            <select id={id} value={form.location} onChange={(e) => update({ location: e.target.value })}>
              {(locations.data?.value ?? [{ name: 'local' }]).map((l) => (
                <option key={l.name}>{l.name}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Description (optional)">
          {(id) => (
            <input
              id={id}
              value={form.description}
              onChange={(e) => update({ description: e.target.value })}
            />
          )}
        </Field>
        <TypeSection form={form} update={update} />
        {progress && <p role="status">{progress}</p>}
        <ErrorBanner error={error} />
        <div className="actions">
          <button type="button" onClick={() => navigate(`/computes?tab=${t.tab}`)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!nameOk || busy}>
            {busy ? `${t.verb === 'Attach' ? 'Attaching' : 'Creating'}…` : t.verb}
          </button>
        </div>
      </form>
    </section>
  );
}
