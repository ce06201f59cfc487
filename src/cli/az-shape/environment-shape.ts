import { compact } from './snake-case.js';

type Doc = Record<string, unknown>;

/** An environment version as the API answers it. */
export interface EnvironmentEnvelope {
  id: string;
  name: string;
  version: string;
  properties: Doc;
}

/**
 * The environment as `az ml environment show` prints it: `name`, `version`, `id`, `image`,
 * `conda_file`, `description`, `tags`, `creation_context`, flat and snake_case.
 */
export function environmentShape(env: EnvironmentEnvelope): Doc {
  const p = env.properties;
  const conda = p.condaFile;
  return compact({
    name: env.name,
    version: env.version,
    id: env.id,
    description: p.description,
    tags: p.tags ?? {},
    image: p.image,
    conda_file: typeof conda === 'string' && conda.trim().startsWith('{') ? safeJson(conda) : conda,
    is_archived: p.isArchived === true ? true : undefined,
    creation_context: compact({ created_at: p.createdAt }),
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
