import type { ReactNode } from 'react';
import { Field } from '../components/ui.js';

/** The managed identity a compute's jobs use. */
export interface IdentityState {
  type: 'None' | 'SystemAssigned' | 'UserAssigned';
  userAssigned: string;
}

/** The API's `identity` for a state. */
export function identityOf(s: IdentityState): Record<string, unknown> | undefined {
  if (s.type === 'None') return undefined;
  if (s.type === 'SystemAssigned') return { type: 'SystemAssigned' };
  return { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(s.userAssigned.split(',').map((x) => x.trim()).filter(Boolean).map((id) => [id, {}])) };
}

/** None, system-assigned, or user-assigned identities by resource id. */
export function IdentityField({ value, onChange }: { value: IdentityState; onChange: (s: IdentityState) => void }): ReactNode {
  return (
    <fieldset>
      <legend>Managed identity</legend>
      <div role="radiogroup" aria-label="Identity type" className="inline">
        {([['None', 'None'], ['SystemAssigned', 'System-assigned'], ['UserAssigned', 'User-assigned']] as const).map(([k, label]) => (
          <label key={k}><input type="radio" name="identity" checked={value.type === k} onChange={() => onChange({ ...value, type: k })} /> {label}</label>
        ))}
      </div>
      {value.type === 'UserAssigned' && (
        <Field label="User-assigned identity resource ids" hint="Comma separated">{(id, d) => <input id={id} aria-describedby={d} value={value.userAssigned} onChange={(e) => onChange({ ...value, userAssigned: e.target.value })} />}</Field>
      )}
    </fieldset>
  );
}
