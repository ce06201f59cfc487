import { describe, expect, it } from 'vitest';
import { resolveCuratedImage, resolveCuratedRef } from './curated-environments.js';

describe('curated environments', () => {
  it('resolves the curated names az ml users write to the node Python plus the family packages', () => {
    for (const ref of [
      'azureml:AzureML-sklearn-1.5@latest',
      'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu',
      'azureml:AzureML-sklearn-1.5:7',
      'azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
      'azureml://registries/azureml/environments/sklearn-1.5/versions/3',
    ]) {
      const r = resolveCuratedRef(ref);
      expect(r?.definition).toEqual({ kind: 'pip', requirements: 'scikit-learn\nnumpy\nscipy\njoblib' });
      expect(r?.display).toContain(
        `${ref} (curated scikit-learn environment: substituted by the node's Python`,
      );
      expect(r?.display).toContain('not provided: pandas, mlflow');
    }
    expect(
      resolveCuratedRef('azureml:AzureML-ACPT-pytorch-1.13-py38-cuda11.7-gpu@latest')?.definition,
    ).toEqual({
      kind: 'pip',
      requirements: 'torch',
    });
    expect(resolveCuratedRef('AzureML-tensorflow-2.12-cuda11')?.definition).toMatchObject({
      requirements: 'tensorflow',
    });
    expect(resolveCuratedRef('AzureML-lightgbm-3.3@latest')?.definition).toMatchObject({ kind: 'pip' });
    expect(resolveCuratedRef('AzureML-minimal-ubuntu20.04-py38-cpu-inference')?.definition).toEqual({
      kind: 'user-managed',
    });
  });

  it('leaves other names to the registry: own environments, other registries, unknown curated families', () => {
    expect(resolveCuratedRef('azureml:my-env@latest')).toBeUndefined();
    expect(
      resolveCuratedRef('azureml://registries/contoso/environments/sklearn-1.5/labels/latest'),
    ).toBeUndefined();
    expect(resolveCuratedRef('AzureML-AutoML')).toBeUndefined();
  });

  it('resolves Azure ML base and curated images and the Docker Hub python image', () => {
    expect(resolveCuratedImage('mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest')).toMatchObject({
      definition: { kind: 'user-managed' },
    });
    expect(resolveCuratedImage('mcr.microsoft.com/azureml/curated/sklearn-1.5:12')?.definition).toMatchObject(
      {
        kind: 'pip',
      },
    );
    const py = resolveCuratedImage('library/python:3.10-slim');
    expect(py?.definition).toEqual({ kind: 'user-managed' });
    expect(py?.display).toBe(
      "image library/python:3.10-slim (substituted by the node's Python; the image has Python 3.10)",
    );
    expect(resolveCuratedImage('python:3.9')?.definition).toEqual({ kind: 'user-managed' });
    expect(resolveCuratedImage('docker.io/library/python:3.12')?.definition).toEqual({
      kind: 'user-managed',
    });
    expect(resolveCuratedImage('ghcr.io/me/trainer:1')).toBeUndefined();
    expect(resolveCuratedImage('mcr.microsoft.com/azureml/some-unknown-thing:1')).toBeUndefined();
  });
});
