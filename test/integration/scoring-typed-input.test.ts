import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, repoRoot, spawnMarked, tempDir, waitFor } from '../helpers/processes.js';

// Typed run() input as azmlinfsrv does it (issue 19): inference_schema's @input_schema/@output_schema
// and azureml.contrib.services' @rawhttp/AMLResponse, served by the scoring host itself (started
// here as the pools start it, one process per score.py). Hangar ships minimal fallbacks of both
// packages; numpy/pandas cases run only where python3 has them.

const hostScript = join(repoRoot, 'python', 'hangar_scoring_host.py');
const importable = (py: string, mod: string): boolean => spawnSync(py, ['-c', `import ${mod}`]).status === 0;
// The python3 on PATH, or the system's when only that one has pandas/numpy (Debian's python3-pandas).
const candidates = ['python3', '/usr/bin/python3'];
const python =
  candidates.find((py) => importable(py, 'pandas')) ??
  candidates.find((py) => importable(py, 'numpy')) ??
  'python3';
const hasNumpy = importable(python, 'numpy');
const hasPandas = importable(python, 'pandas');

const standardPy = `import inference_schema
from inference_schema.schema_decorators import input_schema, output_schema
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType

def init():
    pass

@input_schema('text', StandardPythonParameterType('hello'))
@input_schema('count', StandardPythonParameterType(3))
@input_schema('ratio', StandardPythonParameterType(0.5))
@input_schema('options', StandardPythonParameterType({'upper': True, 'tags': ['a']}))
@output_schema(StandardPythonParameterType({'out': 'HELLOHELLO'}))
def run(text, count, ratio, options, request_headers):
    if text == 'boom':
        raise ValueError('the script itself fails')
    return {
        'out': (text.upper() if options['upper'] else text) * count,
        'types': [type(v).__name__ for v in (text, count, ratio, options)],
        'twice_ratio': ratio * 2,
        'client': request_headers.get('X-Client'),
        'package': inference_schema.__file__,
    }
`;

const numpyPy = `import numpy as np
from inference_schema.schema_decorators import input_schema, output_schema
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType

def init():
    pass

@input_schema('data', NumpyParameterType(np.array([[1.0, 2.0]], dtype=np.float32)))
@output_schema(NumpyParameterType(np.array([1.0])))
def run(data):
    return {'type': type(data).__name__, 'dtype': str(data.dtype), 'shape': list(data.shape), 'sums': data.sum(axis=1)}
`;

const pandasPy = `import pandas as pd
from inference_schema.schema_decorators import input_schema, output_schema
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType

sample = pd.DataFrame({'name': ['ann'], 'age': [30]})

def init():
    pass

@input_schema('people', PandasParameterType(sample))
@input_schema('more', PandasParameterType(sample, orient='split'), optional=True)
@output_schema(PandasParameterType(sample))
def run(people, more=None):
    frame = people if more is None else pd.concat([people, more], ignore_index=True)
    return {'type': type(people).__name__, 'dtypes': {c: str(t) for c, t in frame.dtypes.items()}, 'rows': frame}
`;

const rawPy = `from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse

def init():
    pass

@rawhttp
def run(request):
    if request.method == 'GET':
        return AMLResponse(
            {'args': request.args.to_dict(), 'all_a': request.args.getlist('a'), 'full_path': request.full_path,
             'client': request.headers.get('x-client')},
            202, {'X-Custom': 'a, b'}, json_str=True)
    if request.is_json:
        body = request.json
        if body.get('fail'):
            return AMLResponse('down', 503)
        return {'echo': body, 'method': request.method}
    return AMLResponse(request.get_data()[::-1], 201, {'Content-Type': 'text/plain'})
`;

/** An undecorated script in an environment that has its own inference_schema and azureml. */
const userPackagesPy = `import inference_schema
from azureml.core import NAME
from azureml.contrib.services.aml_response import AMLResponse

def init():
    pass

def run(raw_data):
    return AMLResponse({'schema': inference_schema.MARK, 'azureml': NAME, 'raw_type': type(raw_data).__name__,
                        'raw': raw_data}, 207, json_str=True)
`;

/** An installed inference_schema's shape (module-level registry, plain errors, no Hangar marker). */
const stubSchemaUtil = `_schemas = {}

def is_schema_decorated(func):
    return getattr(func, '__wrapped__', func) in _schemas

def get_input_schema(func):
    return _schemas[getattr(func, '__wrapped__', func)]

def get_output_schema(func):
    return {'type': 'string', 'example': 'stub'}
`;
const stubDecorators = `import functools
from .schema_util import _schemas

def input_schema(param_name, param_type):
    def decorate(func):
        _schemas[func] = {'type': 'object', 'example': {param_name: 'from the stub'}}
        @functools.wraps(func)
        def wrapper(**kwargs):
            kwargs[param_name] = param_type(kwargs[param_name])
            return func(**kwargs)
        return wrapper
    return decorate
`;
const stubScorePy = `from inference_schema.schema_decorators import input_schema

def init():
    pass

@input_schema('n', int)
def run(n):
    if n < 0:
        raise ValueError('negative')
    return {'n': n, 'type': type(n).__name__}
`;

const bothPy = `from inference_schema.schema_decorators import input_schema
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from azureml.contrib.services.aml_request import rawhttp

def init():
    pass

@rawhttp
@input_schema('data', StandardPythonParameterType(1))
def run(data):
    return data
`;

interface Host {
  url: string;
  child: ChildProcess;
  log: () => string;
}

const dir = tempDir('hangar-typed-input-');
const children: ChildProcess[] = [];

function writeScript(name: string, source: string): string {
  const file = join(dir, name, 'score.py');
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(file, source);
  return file;
}

/** Starts the scoring host on a score.py; resolves once its port is open. */
async function startHost(name: string, source: string, env: Record<string, string> = {}): Promise<Host> {
  const portFile = join(dir, `${name}.port`);
  const args = [hostScript, '--entry-script', writeScript(name, source), '--port', '0'];
  const child = spawnMarked(python, [...args, '--port-file', portFile, '--exit-with-parent'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  children.push(child);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const port = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`scoring host ${name} exited ${child.exitCode}:\n${log}`);
    return existsSync(portFile) && readFileSync(portFile, 'utf8');
  }, `the ${name} scoring host's port`);
  return { url: `http://127.0.0.1:${port}`, child, log: () => log };
}

async function post(host: Host, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${host.url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
};

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => exited(c)));
});

describe('@input_schema with standard Python types', () => {
  let host: Host;
  beforeAll(async () => {
    host = await startHost('standard', standardPy);
  });

  it("converts each declared parameter from the JSON body, with Hangar's package as the fallback", async () => {
    const r = await post(
      host,
      { text: 'ab', count: 2, ratio: 1, options: { upper: true, tags: [] } },
      { 'x-client': 'c1' },
    );
    expect(r.status, r.text).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.out).toBe('ABAB');
    // An int is accepted for a float sample (as inference_schema does) and kept as given.
    expect(body.types).toEqual(['str', 'int', 'int', 'dict']);
    expect(body.twice_ratio).toBe(2);
    expect(body.client).toBe('c1');
    expect(body.package).toContain(join('python', 'hangar_fallbacks', 'inference_schema'));
  });

  it('takes GET query parameters as JSON values', async () => {
    const q = new URLSearchParams({ text: 'xy', count: '3', ratio: '0.25', options: '{"upper":false}' });
    const r = await getJson(`${host.url}/score?${q.toString()}`);
    expect(r.status).toBe(200);
    expect(r.body.out).toBe('xyxyxy');
    expect(r.body.types).toEqual(['str', 'int', 'float', 'dict']);
  });

  it('answers 400 naming the parameter when it is missing or of the wrong type', async () => {
    const missing = await post(host, { text: 'ab', ratio: 1, options: { upper: true } });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text).message).toBe("A value is not provided for the 'count' parameter.");
    const wrong = await post(host, { text: 'ab', count: 'three', ratio: 1, options: { upper: true } });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('x-ms-run-function-failed')).toBeNull();
    const message = JSON.parse(wrong.text).message;
    expect(message).toContain("'count'");
    expect(message).toContain('Expected: int but got str');
    const bool = await post(host, { text: 'ab', count: true, ratio: 1, options: { upper: true } });
    expect(bool.status).toBe(400);
    expect(JSON.parse(bool.text).message).toContain("'count'");
  });

  it('refuses a body that is not a JSON object (400) or not JSON-typed (415)', async () => {
    const list = await post(host, [1, 2]);
    expect(list.status).toBe(400);
    expect(JSON.parse(list.text).message).toBe('POST body should be a JSON dictionary.');
    const broken = await post(host, '{"text":');
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.text).message).toContain('could not be decoded as JSON');
    const plain = await post(host, '{"text": "a"}', { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.text).message).toBe('Expects Content-Type to be application/json');
  });

  it('keeps a failure of run() itself a 500', async () => {
    const r = await post(host, { text: 'boom', count: 1, ratio: 1, options: { upper: true } });
    expect(r.status).toBe(500);
    expect(r.headers.get('x-ms-run-function-failed')).toBe('True');
    expect(host.log()).toContain('the script itself fails');
  });

  it('describes input and output from the samples in swagger.json (2 and 3)', async () => {
    const v2 = await getJson(`${host.url}/swagger.json`);
    expect(v2.status).toBe(200);
    expect(v2.body.swagger).toBe('2.0');
    expect(v2.body.paths['/score'].post.parameters[0].schema).toEqual({ $ref: '#/definitions/ServiceInput' });
    const input = v2.body.definitions.ServiceInput;
    expect(input.type).toBe('object');
    expect(input.properties.text).toEqual({ type: 'string' });
    expect(input.properties.count).toEqual({ type: 'integer', format: 'int64' });
    expect(input.properties.ratio).toEqual({ type: 'number', format: 'double' });
    expect(input.properties.options.properties.tags).toEqual({ type: 'array', items: { type: 'string' } });
    expect(input.example).toMatchObject({
      text: 'hello',
      count: 3,
      ratio: 0.5,
      options: { upper: true, tags: ['a'] },
    });
    expect(v2.body.definitions.ServiceOutput).toEqual({
      type: 'object',
      required: ['out'],
      properties: { out: { type: 'string' } },
      example: { out: 'HELLOHELLO' },
    });
    const v3 = await getJson(`${host.url}/swagger.json?version=3`);
    expect(v3.body.openapi).toMatch(/^3\.0/);
    expect(v3.body.components.schemas.ServiceInput).toEqual(input);
    expect((await fetch(`${host.url}/swagger.json?version=4`)).status).toBe(404);
  });
});

describe.skipIf(!hasNumpy)('@input_schema with NumpyParameterType (needs numpy in python3)', () => {
  let host: Host;
  beforeAll(async () => {
    host = await startHost('numpy', numpyPy);
  });

  it("makes an array of the sample's dtype and answers arrays as lists", async () => {
    const r = await post(host, {
      data: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    });
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      type: 'ndarray',
      dtype: 'float32',
      shape: [3, 2],
      sums: [3, 7, 11],
    });
  });

  it('answers 400 naming the parameter for a wrong shape or values', async () => {
    const shape = await post(host, { data: [[1, 2, 3]] });
    expect(shape.status).toBe(400);
    expect(JSON.parse(shape.text).message).toMatch(
      /'data'.*size 3 on dimension #1, while expected value is 2/,
    );
    const dims = await post(host, { data: [1, 2] });
    expect(dims.status).toBe(400);
    expect(JSON.parse(dims.text).message).toMatch(/'data'.*2 dimensions is expected; input has 1/);
    const words = await post(host, { data: [['a', 'b']] });
    expect(words.status).toBe(400);
    expect(JSON.parse(words.text).message).toContain("'data'");
  });

  it('describes the array in swagger.json', async () => {
    const { body } = await getJson(`${host.url}/swagger.json`);
    expect(body.definitions.ServiceInput.properties.data).toEqual({
      type: 'array',
      items: { type: 'array', items: { type: 'number', format: 'float' } },
      format: 'numpy.ndarray',
    });
    expect(body.definitions.ServiceInput.example).toEqual({ data: [[1, 2]] });
    expect(body.definitions.ServiceOutput).toEqual({
      type: 'array',
      items: { type: 'number', format: 'double' },
      format: 'numpy.ndarray',
      example: [1],
    });
  });
});

describe.skipIf(!hasPandas)('@input_schema with PandasParameterType (needs pandas in python3)', () => {
  let host: Host;
  beforeAll(async () => {
    host = await startHost('pandas', pandasPy);
  });

  it('makes DataFrames from records and split orient, and answers a DataFrame as records', async () => {
    const r = await post(host, {
      people: [{ name: 'bo', age: 7 }],
      more: { columns: ['name', 'age'], data: [['cy', 9.0]] },
    });
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      type: 'DataFrame',
      dtypes: { name: 'object', age: 'int64' },
      rows: [
        { name: 'bo', age: 7 },
        { name: 'cy', age: 9 },
      ],
    });
  });

  it('answers 400 naming the parameter for columns that do not match the sample', async () => {
    const r = await post(host, { people: [{ name: 'bo', age: 7, extra: 1 }] });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).message).toMatch(/'people'.*2 columns/);
  });

  it('describes the frames in swagger.json 3; not in 2, which has no mixed-type arrays (split rows)', async () => {
    const { body } = await getJson(`${host.url}/swagger.json?version=3`);
    const input = body.components.schemas.ServiceInput;
    expect(input.properties.people.format).toBe('pandas.DataFrame:records');
    expect(input.properties.people.items.properties).toEqual({
      name: { type: 'string' },
      age: { type: 'integer', format: 'int64' },
    });
    expect(input.properties.more.format).toBe('pandas.DataFrame:split');
    expect(input.example.people).toEqual([{ name: 'ann', age: 30 }]);
    expect(input.example.more.data).toEqual([['ann', 30]]);
    expect((await fetch(`${host.url}/swagger.json?version=2`)).status).toBe(404);
  });
});

describe('@rawhttp and AMLResponse', () => {
  let host: Host;
  beforeAll(async () => {
    host = await startHost('raw', rawPy);
  });

  it("gives run() the request (query, headers, path) and sends AMLResponse's status and headers", async () => {
    const res = await fetch(`${host.url}/score?a=1&a=2&b=x`, { headers: { 'X-Client': 'c2' } });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-custom')).toBe('a, b');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-ms-run-fn-exec-ms')).toMatch(/^\d+$/);
    expect(await res.json()).toEqual({
      args: { a: '1', b: 'x' },
      all_a: ['1', '2'],
      full_path: '/score?a=1&a=2&b=x',
      client: 'c2',
    });
  });

  it('gives run() the raw body, and passes a bytes body with its own Content-Type', async () => {
    const r = await post(host, 'hello', { 'content-type': 'application/octet-stream' });
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toBe('text/plain');
    expect(r.text).toBe('olleh');
  });

  it('answers a non-Response value as JSON and marks a 5xx AMLResponse as a run() failure', async () => {
    const r = await post(host, { q: [1, 2] });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ echo: { q: [1, 2] }, method: 'POST' });
    const down = await post(host, { fail: true });
    expect(down.status).toBe(503);
    expect(down.text).toBe('down');
    expect(down.headers.get('x-ms-run-function-failed')).toBe('True');
  });
});

describe('packages of the user environment', () => {
  it("win over Hangar's fallbacks; an undecorated run() still gets the body as a string", async () => {
    const site = join(dir, 'site');
    mkdirSync(join(site, 'inference_schema'), { recursive: true });
    mkdirSync(join(site, 'azureml'), { recursive: true });
    writeFileSync(join(site, 'inference_schema', '__init__.py'), 'MARK = "the user\'s inference_schema"\n');
    writeFileSync(join(site, 'azureml', '__init__.py'), '');
    writeFileSync(join(site, 'azureml', 'core.py'), 'NAME = "the user\'s azureml"\n');
    const host = await startHost('user-packages', userPackagesPy, { PYTHONPATH: site });
    const r = await post(host, '{"x": 1}', { 'content-type': 'text/plain' });
    expect(r.status).toBe(207);
    expect(JSON.parse(r.text)).toEqual({
      schema: "the user's inference_schema",
      azureml: "the user's azureml",
      raw_type: 'str',
      raw: '{"x": 1}',
    });
    const { body } = await getJson(`${host.url}/swagger.json`);
    expect(body.definitions.ServiceInput).toEqual({ type: 'object', example: {} });
  });

  it('typed input through an installed inference_schema: its conversion, its swagger, 400 for its errors', async () => {
    const site = join(dir, 'site-schema');
    mkdirSync(join(site, 'inference_schema'), { recursive: true });
    writeFileSync(join(site, 'inference_schema', '__init__.py'), '');
    writeFileSync(join(site, 'inference_schema', 'schema_util.py'), stubSchemaUtil);
    writeFileSync(join(site, 'inference_schema', 'schema_decorators.py'), stubDecorators);
    const host = await startHost('stub-schema', stubScorePy, { PYTHONPATH: site });
    const ok = await post(host, { n: '12' });
    expect(ok.status, ok.text).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({ n: 12, type: 'int' });
    // Raised inside inference_schema before run()'s body began: the input's fault.
    const bad = await post(host, { n: 'twelve' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toMatch(
      /^Invalid value for the 'n' parameter: invalid literal for int/,
    );
    // Raised by run() itself: still a 500.
    const failed = await post(host, { n: -1 });
    expect(failed.status).toBe(500);
    const { body } = await getJson(`${host.url}/swagger.json`);
    expect(body.definitions.ServiceInput).toEqual({ type: 'object', example: { n: 'from the stub' } });
    expect(body.definitions.ServiceOutput).toEqual({ type: 'string', example: 'stub' });
  });

  it('refuses run() decorated with both @rawhttp and @input_schema at start (exit 3)', async () => {
    const portFile = join(dir, 'both.port');
    const child = spawnMarked(
      python,
      [hostScript, '--entry-script', writeScript('both', bothPy), '--port', '0', '--port-file', portFile],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    expect(await exited(child)).toBe(3);
    expect(log).toContain('run() cannot be decorated with both @rawhttp and @input_schema');
    expect(existsSync(portFile)).toBe(false);
  });
});
