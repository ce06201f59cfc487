import { useState, type ReactNode } from 'react';
import { api, errorText } from '../lib/api.js';
import { usePoll } from '../lib/use-poll.js';
import { Field } from '../components/ui.js';
import type { SshChoice, SshState } from './compute-form-state.js';

/** Offers a text as a file download (the private key exists only in this page's memory). */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** SSH access: off by default; generate a pair (private key downloaded once), a stored key, a pasted key, or set up later. */
export function SshSettings({
  value,
  onChange,
  defaultKeyName,
}: {
  value: SshState;
  onChange: (s: SshState) => void;
  defaultKeyName: string;
}): ReactNode {
  const stored = usePoll(() => api().computes.listSshKeys(), 0, []);
  const [generated, setGenerated] = useState<string>();
  const [error, setError] = useState<string>();
  const generate = async (): Promise<void> => {
    setError(undefined);
    try {
      const name = value.keyName || defaultKeyName;
      const pair = await api().computes.createSshKey(name);
      if (pair.privateKey) download(`${name}.pem`, pair.privateKey);
      setGenerated(name);
      onChange({ ...value, keyName: name });
      stored.refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const choices: [SshChoice, string][] = [
    ['off', 'Off'],
    ['generate', 'Generate new key pair'],
    ['stored', 'Use existing key stored in the workspace'],
    ['paste', 'Use existing public key'],
    ['later', 'Set up later'],
  ];
  return (
    <fieldset>
      <legend>SSH access</legend>
      <div role="radiogroup" aria-label="SSH public key source">
        {choices.map(([k, label]) => (
          <label key={k} className="block">
            <input
              type="radio"
              name="ssh-choice"
              checked={value.choice === k}
              onChange={() => onChange({ ...value, choice: k })}
            />{' '}
            {label}
          </label>
        ))}
      </div>
      {value.choice === 'generate' && (
        <div className="sub">
          <Field label="Key pair name">
            {(id) => (
              <input
                id={id}
                value={value.keyName}
                placeholder={defaultKeyName}
                onChange={(e) => onChange({ ...value, keyName: e.target.value })}
              />
            )}
          </Field>
          <button type="button" onClick={() => void generate()}>
            Generate key pair and download private key
          </button>
          {generated && (
            <p role="status">
              Key pair {generated} generated; the private key was downloaded and is not kept anywhere else.
            </p>
          )}
          {error && (
            <div className="error" role="alert">
              {error}
            </div>
          )}
        </div>
      )}
      {value.choice === 'stored' && (
        <Field label="Stored key">
          {(id) => (
            <select
              id={id}
              value={value.keyName}
              onChange={(e) => onChange({ ...value, keyName: e.target.value })}
            >
              <option value="">Choose a key…</option>
              {(stored.data ?? []).map((k) => (
                <option key={k.name} value={k.name}>
                  {k.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {value.choice === 'paste' && (
        <Field label="SSH public key" hint="ssh-rsa, ssh-ed25519 or ecdsa line, or a PEM / RFC 4716 block.">
          {(id, d) => (
            <textarea
              id={id}
              rows={3}
              aria-describedby={d}
              value={value.publicKey}
              onChange={(e) => onChange({ ...value, publicKey: e.target.value })}
            />
          )}
        </Field>
      )}
      {value.choice === 'later' && (
        <p className="hint">
          SSH is enabled without a key; add one later with “Update SSH key” on the compute’s page.
        </p>
      )}
    </fieldset>
  );
}
