import { useState, type FormEvent, type ReactNode } from 'react';
import { api, errorText } from '../lib/api.js';
import { when } from '../lib/format.js';
import { usePoll } from '../lib/use-poll.js';
import { Confirm, ErrorBanner, Field } from '../components/ui.js';

/** Role assignments (who holds which role where), with add and remove for those allowed. */
export function AccessPage(): ReactNode {
  const data = usePoll(
    async () => {
      const [assignments, roles, users] = await Promise.all([
        api().access.assignments(),
        api().access.roles(),
        api()
          .access.users()
          .catch(() => []),
      ]);
      return { assignments, roles, users };
    },
    0,
    [],
  );
  const [form, setForm] = useState({
    principalId: '',
    roleName: 'Reader',
    scope: `/workspaces/${api().workspace}`,
  });
  const [error, setError] = useState<string>();
  const [removing, setRemoving] = useState<string>();
  const userName = (id: string): string => data.data?.users.find((u) => u.id === id)?.name ?? id;
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    try {
      await api().access.assign(form.principalId, form.roleName, form.scope);
      data.refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (id: string): Promise<void> => {
    setRemoving(undefined);
    try {
      await api().access.unassign(id);
      data.refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section aria-labelledby="access-title">
      <h1 id="access-title">Access control</h1>
      <ErrorBanner error={data.error} />
      <h2>Role assignments</h2>
      <div className="table-wrap">
        <table aria-label="Role assignments">
          <thead>
            <tr>
              <th scope="col">Principal</th>
              <th scope="col">Role</th>
              <th scope="col">Scope</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(data.data?.assignments ?? []).map((a) => (
              <tr key={a.id}>
                <td>{userName(a.principalId)}</td>
                <td>{a.roleName}</td>
                <td>
                  <code>{a.scope}</code>
                </td>
                <td>
                  {when(a.createdAt)} by {a.createdBy}
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => setRemoving(a.id)}
                    aria-label={`Remove ${a.roleName} of ${userName(a.principalId)} at ${a.scope}`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Add a role assignment</h2>
      <form onSubmit={(e) => void add(e)} className="row" aria-label="Add a role assignment">
        <Field label="User">
          {(id) => (
            <select
              id={id}
              value={form.principalId}
              onChange={(e) => setForm({ ...form, principalId: e.target.value })}
              required
            >
              <option value="">Choose a user…</option>
              {(data.data?.users ?? []).map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Role">
          {(id) => (
            <select
              id={id}
              value={form.roleName}
              onChange={(e) => setForm({ ...form, roleName: e.target.value })}
            >
              {(data.data?.roles ?? []).map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Scope"
          hint="/ (everything), /workspaces/{name} or /workspaces/{name}/computes/{compute}"
        >
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              value={form.scope}
              onChange={(e) => setForm({ ...form, scope: e.target.value })}
            />
          )}
        </Field>
        <button type="submit" className="primary">
          Add
        </button>
      </form>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      <h2>Roles</h2>
      <ul className="roles">
        {(data.data?.roles ?? []).map((r) => (
          <li key={r.name}>
            <strong>{r.name}</strong>
            {r.builtIn ? ' (built-in)' : ''}: {r.description}{' '}
            <span className="hint">
              {r.actions.join(', ')}
              {r.notActions.length ? ` except ${r.notActions.join(', ')}` : ''}
            </span>
          </li>
        ))}
      </ul>
      <Confirm
        open={removing !== undefined}
        title="Remove role assignment?"
        confirmLabel="Remove"
        danger
        onCancel={() => setRemoving(undefined)}
        onConfirm={() => removing && void remove(removing)}
      >
        The principal loses this role at this scope at once.
      </Confirm>
    </section>
  );
}
