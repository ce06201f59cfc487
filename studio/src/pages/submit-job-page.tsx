import { useState, type FormEvent, type ReactNode } from 'react';
import { parse as parseYaml } from 'yaml';
import { api, errorText } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { uploadFolder } from '../lib/upload-folder.js';
import { Field } from '../components/ui.js';

const example = `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
experiment_name: studio
command: python3 -c "print('hello from the studio')"
compute: azureml:cpu-cluster
`;

/** Reads the YAML as az ml does: a mapping; a local `code` folder must be chosen in the form. */
function specOf(text: string, name: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`Job YAML: invalid YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(
      'Job YAML: must be a mapping of az ml command job fields (command, code, environment, compute, …)',
    );
  const spec = doc as Record<string, unknown>;
  if (name) spec.name = name;
  const env = spec.environment as { conda_file?: unknown } | undefined;
  if (env && typeof env.conda_file === 'string' && !env.conda_file.includes('\n'))
    throw new Error(
      `environment.conda_file: '${env.conda_file}' is a file path; paste the conda file's content inline (the studio cannot read your disk)`,
    );
  return spec;
}

/** Submits a job from an az ml YAML, with an optional code folder uploaded from the browser. */
export function SubmitJobPage(): ReactNode {
  const [yaml, setYaml] = useState(example);
  const [name, setName] = useState('');
  const [folder, setFolder] = useState<FileList | null>(null);
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const spec = specOf(yaml, name.trim());
      let codeSnapshotId: string | undefined;
      if (typeof spec.code === 'string') {
        if (!folder?.length)
          throw new Error(`code: '${spec.code}' is a local folder; choose that folder under “Code folder”`);
        const up = await uploadFolder(folder, setProgress);
        setProgress(
          `code: ${up.files} file(s); uploaded ${up.uploaded}, ${up.reused} already on the server${up.excluded.length ? `; excluded ${up.excluded.length} by ignore rules` : ''}`,
        );
        codeSnapshotId = up.snapshotId;
      }
      const job = await api().jobs.create(
        { spec, ...(codeSnapshotId ? { codeSnapshotId } : {}) },
        name.trim() || undefined,
      );
      navigate(`/jobs/${encodeURIComponent(job.name)}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a job</h1>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Job YAML" hint="The same file `hangar job create -f` and `az ml job create -f` take.">
          {(id, d) => (
            <textarea
              id={id}
              className="yaml"
              rows={14}
              spellCheck={false}
              aria-describedby={d}
              value={yaml}
              onChange={(e) => setYaml(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Code folder (when the YAML has code:)"
          hint="Chosen files are hashed here; only files the server lacks are uploaded. .amlignore/.gitignore apply."
        >
          {(id, d) => (
            <input
              id={id}
              type="file"
              aria-describedby={d}
              {...{ webkitdirectory: '', directory: '' }}
              multiple
              onChange={(e) => setFolder(e.target.files)}
            />
          )}
        </Field>
        <Field label="Job name (optional)">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        {progress && <p role="status">{progress}</p>}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" onClick={() => navigate('/jobs')}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Submitting…' : 'Submit'}
          </button>
        </div>
      </form>
    </section>
  );
}
