import type { SecretBox } from '../../secrets/secret-box.js';

const PURPOSE = 'azureml-blob-sas';

/** The containers of a workspace's two datastores (code uploads; job logs and outputs). */
export function containersOf(workspace: string): { blobstore: string; artifacts: string } {
  return { blobstore: `azureml-blobstore-${workspace}`, artifacts: `azureml-${workspace}` };
}

/** The workspace a container belongs to, or undefined for a container Hangar does not serve. */
export function workspaceOfContainer(container: string): string | undefined {
  return /^azureml-blobstore-(.+)$/.exec(container)?.[1] ?? /^azureml-(.+)$/.exec(container)?.[1];
}

/**
 * A SAS for one container (what listSecrets answers): Azure's query form, signed with the server's
 * key over container, expiry and the user it was issued to. Nothing is stored.
 */
export function containerSas(box: SecretBox, container: string, user: string, expires: Date): string {
  const se = expires.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const sig = box.sign(PURPOSE, `${container}\n${se}\n${user}`);
  const q = new URLSearchParams({ sv: '2021-12-02', sr: 'c', sp: 'racwdl', se, skoid: user, sig });
  return q.toString();
}

/** Whether a request's query carries a valid, unexpired SAS for this container. */
export function sasAllows(box: SecretBox, container: string, query: URLSearchParams, now: Date): boolean {
  const se = query.get('se');
  const sig = query.get('sig');
  const user = query.get('skoid');
  if (!se || !sig || !user) return false;
  if (!(Date.parse(se) > now.getTime())) return false;
  return box.sign(PURPOSE, `${container}\n${se}\n${user}`) === sig;
}
