import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Cli = (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/**
 * Creates an inference cluster from its az ml YAML through the CLI: `type: aks`, DevTest, one
 * Standard_D3_v2 node (4 vCPUs: 4 replicas a node) started when a replica needs it.
 */
export async function createInferenceCluster(cli: Cli, dir: string, name: string): Promise<void> {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    `name: ${name}\ntype: aks\nsize: Standard_D3_v2\nagent_count: 1\ncluster_purpose: DevTest\n`,
  );
  const r = await cli(['compute', 'create', '-f', file]);
  if (r.code !== 0) throw new Error(`hangar compute create -f ${file} failed: ${r.stderr}`);
}
