import type { ReactNode } from 'react';
import { Field } from '../components/ui.js';
import type { IdentityState } from './compute-form-state.js';

/** None, system-assigned, or user-assigned identities by resource id. */
export function IdentityField({
  value,
  onChange,
}: {
  value: IdentityState;
  onChange: (s: IdentityState) => void;
}): ReactNode {
  return (
    <fieldset>
      <legend>Managed identity</legend>
      <div role="radiogroup" aria-label="Identity type" className="inline">
        {(
          [
            ['None', 'None'],
            ['SystemAssigned', 'System-assigned'],
            ['UserAssigned', 'User-assigned'],
          ] as const
        ).map(([k, label]) => (
          <label key={k}>
            <input
              type="radio"
              name="identity"
              checked={value.type === k}
              onChange={() => onChange({ ...value, type: k })}
            />{' '}
            {label}
          </label>
        ))}
      </div>
      {value.type === 'UserAssigned' && (
        <Field label="User-assigned identity resource ids" hint="Comma separated">
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              value={value.userAssigned}
              onChange={(e) => onChange({ ...value, userAssigned: e.target.value })}
            />
          )}
        </Field>
      )}
    </fieldset>
  );
}
