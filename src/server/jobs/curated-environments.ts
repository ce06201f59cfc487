import type { EnvironmentDefinition } from '../../domain/nodes/agent-protocol.js';

/**
 * Azure ML's curated environments, as Hangar runs them. Azure ships each as a container image
 * from mcr.microsoft.com (a Python with the framework, pandas, mlflow, azureml-mlflow…). Hangar's
 * nodes neither reach mcr.microsoft.com nor always have a container runtime, so a curated name
 * or image runs on the node's own Python, in a venv over its site packages with the family's
 * framework packages: already-installed ones (Debian's python3-sklearn, say) are used as they
 * are, missing ones are installed from the operator's package index where there is one. The
 * job's environment says exactly what was substituted. Operator aliases (environmentAliases)
 * and environments registered under the same name win over this catalogue.
 */
interface CuratedFamily {
  /** Which curated names belong to the family (after `AzureML-` is dropped, lower-case). */
  match: RegExp;
  /** What the family is, for the job's environment line. */
  title: string;
  /** The packages a job of the family needs (unpinned: the node's versions are accepted). */
  packages: readonly string[];
  /** What Azure's image has besides, which Hangar does not promise. */
  notProvided: string;
}

/** The curated families of the public Azure ML examples (azureml-examples cli/jobs, sdk). */
export const curatedFamilies: readonly CuratedFamily[] = [
  {
    match: /^sklearn-/,
    title: 'scikit-learn',
    packages: ['scikit-learn', 'numpy', 'scipy', 'joblib'],
    notProvided: 'pandas, mlflow, azureml-mlflow',
  },
  {
    match: /^lightgbm-/,
    title: 'LightGBM',
    packages: ['lightgbm', 'scikit-learn', 'numpy'],
    notProvided: 'pandas, mlflow, azureml-mlflow',
  },
  {
    match: /^(acpt-)?pytorch-/,
    title: 'PyTorch',
    packages: ['torch'],
    notProvided: 'torchvision, CUDA libraries, DeepSpeed/ONNX Runtime (ACPT), mlflow, azureml-mlflow',
  },
  {
    match: /^tensorflow-/,
    title: 'TensorFlow',
    packages: ['tensorflow'],
    notProvided: 'CUDA libraries, horovod, mlflow, azureml-mlflow',
  },
  {
    match: /^mlflow-/,
    title: 'MLflow',
    packages: ['mlflow'],
    notProvided: 'azureml-mlflow, azureml-inference-server-http',
  },
  {
    match: /^(minimal-|openmpi\d|ubuntu|base-)/,
    title: 'a base image (Python only)',
    packages: [],
    notProvided: 'conda, the image OS packages (OpenMPI, CUDA)',
  },
];

/** A curated environment as a job runs it here. */
export interface CuratedResolution {
  definition: EnvironmentDefinition;
  /** The job's environment line: what was asked for and what runs instead. */
  display: string;
  /** Always true: something else runs than what was asked for (the job gets an event saying what). */
  substituted: true;
}

function familyOf(name: string): CuratedFamily | undefined {
  const key = name.toLowerCase().replace(/^azureml-/, '');
  return curatedFamilies.find((f) => f.match.test(key));
}

function substitute(asked: string, family: CuratedFamily, what: string): CuratedResolution {
  if (family.packages.length === 0)
    return {
      definition: { kind: 'user-managed' },
      display: `${asked} (curated ${what}: substituted by the node's Python; not provided: ${family.notProvided})`,
      substituted: true,
    };
  return {
    definition: { kind: 'pip', requirements: family.packages.join('\n') },
    display: `${asked} (curated ${family.title} ${what}: substituted by the node's Python in a venv over its site packages with ${family.packages.join(', ')}, installed where missing; not provided: ${family.notProvided})`,
    substituted: true,
  };
}

/**
 * A curated environment reference: `AzureML-<name>` (with `azureml:`, `:version` or `@latest`)
 * or `azureml://registries/azureml/environments/<name>/…`. Undefined when the name is not one.
 */
export function resolveCuratedRef(ref: string): CuratedResolution | undefined {
  const registry =
    /^azureml:\/\/registries\/azureml\/environments\/([^/]+)\/(versions\/[^/]+|labels\/latest)$/i.exec(ref);
  const name = registry
    ? registry[1]
    : /^(?:azureml:)?(AzureML-[\w.-]+?)(?:@latest|:[\w.-]+)?$/i.exec(ref)?.[1];
  if (!name) return undefined;
  const family = familyOf(name);
  return family ? substitute(ref, family, 'environment') : undefined;
}

/**
 * A curated or base image: `mcr.microsoft.com/azureml/curated/<name>:tag`,
 * `mcr.microsoft.com/azureml/<base>:tag` (openmpi, minimal…), or Docker Hub's python image
 * (`python:3.10`, `library/python:…`, `docker.io/library/python:…`). Undefined for any other.
 */
export function resolveCuratedImage(image: string): CuratedResolution | undefined {
  const mcr =
    /^mcr\.microsoft\.com\/azureml\/(?:curated\/)?([\w.-]+)(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?$/i.exec(image);
  if (mcr?.[1]) {
    const family = familyOf(mcr[1]);
    return family ? substitute(`image ${image}`, family, 'image') : undefined;
  }
  const python = /^(?:(?:docker\.io\/)?library\/)?python(?::([\w.-]+))?$/.exec(image);
  if (python)
    return {
      definition: { kind: 'user-managed' },
      display: `image ${image} (substituted by the node's Python${python[1] ? `; the image has Python ${python[1].replace(/-.*/, '')}` : ''})`,
      substituted: true,
    };
  return undefined;
}
