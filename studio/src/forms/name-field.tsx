import { useEffect, useState, type ReactNode } from 'react';
import {
  computeNameProblems,
  nameLimits,
  type NameFamily,
} from '../../../src/domain/compute/compute-names.js';
import { api, HangarApiError } from '../lib/api.js';
import { Field } from '../components/ui.js';

/** Rule breaks of a name as the user types (the server's own rules), plus "already taken". */
export function nameErrors(name: string, family: NameFamily, taken: boolean): string[] {
  if (name === '') return [];
  const problems = computeNameProblems(name, family, 'Name').map((p) => p.message);
  return taken
    ? [...problems, `Name ${JSON.stringify(name)} is already used by a compute in this workspace`]
    : problems;
}

/** The compute name, checked against the naming rules on every keystroke and against the workspace after a pause. */
export function NameField({
  value,
  onChange,
  family,
  onValidity,
}: {
  value: string;
  onChange: (v: string) => void;
  family: NameFamily;
  onValidity: (ok: boolean) => void;
}): ReactNode {
  const [taken, setTaken] = useState(false);
  const local = nameErrors(value, family, false);
  useEffect(() => {
    setTaken(false);
    if (value === '' || local.length > 0) return;
    const timer = setTimeout(() => {
      api()
        .computes.get(value)
        .then(
          () => setTaken(true),
          (err: unknown) => setTaken(!(err instanceof HangarApiError && err.status === 404)),
        );
    }, 300);
    return () => clearTimeout(timer);
  }, [value]);
  const errors = nameErrors(value, family, taken);
  useEffect(() => onValidity(value !== '' && errors.length === 0), [value, errors.length, onValidity]);
  const { min, max } = nameLimits[family];
  return (
    <Field
      label="Compute name"
      hint={`${min}–${max} letters, digits and hyphens; starts with a letter; a letter after each hyphen. Unique in the workspace.`}
      error={errors}
    >
      {(id, d) => (
        <input
          id={id}
          name="name"
          value={value}
          onChange={(e) => onChange(e.target.value.trim())}
          aria-invalid={errors.length > 0}
          aria-describedby={d}
          required
          autoComplete="off"
          spellCheck={false}
        />
      )}
    </Field>
  );
}
