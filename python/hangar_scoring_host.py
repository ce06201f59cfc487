"""Hangar's scoring host: the contract Azure ML's inference server keeps for a user's score.py.

GET / answers "Healthy"; POST /score (and GET /score) calls run(); GET /swagger.json serves a
spec. init() runs once, with AZUREML_MODEL_DIR set, before the port opens; when it raises the
traceback goes to the log and the process exits with code 3, as azmlinfsrv does. Standard
library only, so a replica runs wherever a python3 does.

run() takes the body as a string, or, as azmlinfsrv does: typed arguments taken from a JSON body
when decorated with inference_schema's @input_schema, the request itself with @rawhttp. Hangar's
own minimal inference_schema and azureml.contrib.services live in hangar_fallbacks/, appended to
the END of sys.path so that packages installed in the user's environment win.
"""

import argparse
import importlib.util
import inspect
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SERVER_VERSION = "hangar-scoring-host/0.1"
INIT_FAILED_EXIT = 3
FALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hangar_fallbacks")
AML_SERVICES = "azureml.contrib.services"


class RequestError(Exception):
    """The caller's fault (400, 415): answered with the message, never a run() failure."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def install_fallbacks():
    """Makes `inference_schema` and `azureml.contrib.services` importable for score.py.

    hangar_fallbacks goes last on sys.path: an installed inference_schema (or azureml) is found
    first. azureml.contrib.services.aml_request/aml_response are always Hangar's, as azmlinfsrv
    always puts its own there: @rawhttp and AMLResponse must be the ones this server reads. Only
    those two module names are set; the rest of an installed `azureml` stays the user's.
    """
    if FALLBACKS not in sys.path:
        sys.path.append(FALLBACKS)
    for name in ("aml_request", "aml_response"):
        full = "%s.%s" % (AML_SERVICES, name)
        spec = importlib.util.spec_from_file_location(full, os.path.join(FALLBACKS, "azureml", "contrib", "services", name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)


def log(message):
    sys.stderr.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + message + "\n")
    sys.stderr.flush()


def model_tree(root, limit=200):
    lines = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        depth = os.path.relpath(folder, root).count(os.sep)
        lines.append("  " * depth + os.path.basename(folder) + "/")
        for f in sorted(files):
            lines.append("  " * (depth + 1) + f)
        if len(lines) >= limit:
            break
    return "\n".join(lines[:limit])


def load_user_script(path):
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("score", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["score"] = module
    spec.loader.exec_module(module)
    driver = getattr(module, "driver_module", None)
    if isinstance(driver, str):
        module = importlib.import_module(driver)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise AttributeError("the scoring script %s defines no %s() function" % (path, name))
    return module


def schema_util():
    """inference_schema's schema_util when score.py imported it (whichever package that was)."""
    return sys.modules.get("inference_schema.schema_util")


def run_shape(run):
    """How run() takes its input, as azmlinfsrv decides it: the body as a string; the request
    (@rawhttp); or each parameter from the JSON body (@input_schema). request_headers when asked."""
    params = list(inspect.signature(run).parameters.values())
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError("run() may not take *args, **kwargs or positional-only parameters")
    inputs = [p for p in params if p.name != "request_headers"]
    raw = bool(getattr(sys.modules.get(AML_SERVICES + ".aml_request"), "_rawHttpRequested", False))
    util = schema_util()
    typed = bool(util and util.is_schema_decorated(run))
    if raw and typed:
        raise TypeError("run() cannot be decorated with both @rawhttp and @input_schema")
    if (raw or typed) and not inputs:
        raise TypeError("run() needs to accept an argument for input data")
    mode = "raw" if raw else "typed" if typed else "string"
    return {"headers": any(p.name == "request_headers" for p in params), "mode": mode, "inputs": inputs}


def json_value(text):
    """A query parameter as azmlinfsrv reads it for typed input: JSON when it parses, else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def typed_arguments(inputs, method, query, headers, raw):
    """run()'s keyword arguments from a JSON object body (or the query, for GET), by parameter name."""
    if method == "GET":
        body = {k: json_value(v[0]) if len(v) == 1 else [json_value(x) for x in v] for k, v in query.items()}
    else:
        mimetype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not (mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
            raise RequestError(415, "Expects Content-Type to be application/json")
        if not raw.strip():
            raise RequestError(400, "POST body is empty. Expecting a JSON dictionary.")
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise RequestError(400, "POST body could not be decoded as JSON: %s" % e) from None
        if not isinstance(body, dict):
            raise RequestError(400, "POST body should be a JSON dictionary.")
    kwargs = {}
    for p in inputs:
        value = body.get(p.name, p.default)
        if value is inspect.Parameter.empty:
            raise RequestError(400, "A value is not provided for the %r parameter." % p.name)
        kwargs[p.name] = value
    return kwargs


def bad_input(exc, run):
    """The 400 message when `exc` is @input_schema failing to convert an argument, else None.

    Hangar's inference_schema marks its error (hangar_bad_input: the parameter). An installed
    inference_schema does not; its error counts as the input's when it was raised inside
    inference_schema before run()'s own body began (the parameter from its frame, when it has one).
    """
    name = getattr(exc, "hangar_bad_input", None)
    if isinstance(name, str):
        return str(exc)
    code = getattr(inspect.unwrap(run), "__code__", None)
    frames = list(traceback.walk_tb(exc.__traceback__))
    if not frames or any(f.f_code is code for f, _ in frames):
        return None
    inner = frames[-1][0]
    if "inference_schema" not in inner.f_code.co_filename.split(os.sep):
        return None
    param = next((f.f_locals.get("param_name") for f, _ in reversed(frames) if isinstance(f.f_locals.get("param_name"), str)), None)
    reason = str(exc) or type(exc).__name__
    return "Invalid value for the %r parameter: %s" % (param, reason) if param else "Invalid input: %s" % reason


def is_response(value):
    """An AMLResponse (Hangar's, or a Flask/werkzeug Response from an installed package)."""
    return hasattr(value, "status_code") and hasattr(value, "get_data") and hasattr(value, "headers")


def header_pairs(headers):
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(k), str(v)) for k, v in items]


def to_json(value):
    def default(o):
        if hasattr(o, "to_json") and hasattr(o, "columns"):  # a pandas DataFrame: its records
            return json.loads(o.to_json(orient="records", date_format="iso"))
        if hasattr(o, "to_json") and hasattr(o, "index"):  # a pandas Series: its values
            return json.loads(o.to_json(orient="values", date_format="iso"))
        if hasattr(o, "tolist"):
            return o.tolist()
        if hasattr(o, "item"):
            return o.item()
        return str(o)

    return json.dumps(value, default=default)


def aml_request_module():
    return sys.modules[AML_SERVICES + ".aml_request"]


def swagger_spec(run, version):
    """The OpenAPI document azmlinfsrv generates: its templates, with ServiceInput/ServiceOutput
    from run()'s @input_schema/@output_schema (an empty object when undecorated). None when the
    schema's samples cannot be described in `version` (Swagger 2 has no mixed-type arrays)."""
    util = schema_util()
    if util and util.is_schema_decorated(run):
        # get_supported_versions came with inference-schema 1.5; before it, every version was given.
        supported = getattr(util, "get_supported_versions", None)
        if supported and version not in supported(run):
            return None
        service_input, service_output = util.get_input_schema(run), util.get_output_schema(run)
    else:
        service_input = service_output = {"type": "object", "example": {}}
    name = os.environ.get("SERVICE_NAME", "ML service")
    prefix = "/" + os.environ["SERVICE_PATH_PREFIX"].strip("/") if os.environ.get("SERVICE_PATH_PREFIX") else ""
    error = {"type": "object", "properties": {"message": {"type": "string"}}}
    info = {
        "title": name,
        "description": "API specification for the Azure Machine Learning service %s" % name,
        "version": os.environ.get("SERVICE_VERSION", "1.0"),
    }
    bearer = {"type": "apiKey", "name": "Authorization", "in": "header", "description": "For example: Bearer abc123"}
    health = "Simple health check endpoint to ensure the service is up at any given point."
    healthy = "If service is up and running, this response will be returned with the content 'Healthy'"
    scored = "The service processed the input correctly and provided a result prediction, if applicable."
    payload = "The input payload for executing the real-time machine learning service."
    failed = "The service failed to execute due to an error."
    if version == "2.0":
        ref = lambda n: {"$ref": "#/definitions/%s" % n}  # noqa: E731
        return {
            "swagger": "2.0",
            "info": info,
            "schemes": ["https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {"Bearer": bearer},
            "paths": {
                prefix + "/": {"get": {"operationId": "ServiceHealthCheck", "description": health, "responses": {
                    "200": {"description": healthy, "schema": {"type": "string"}, "examples": {"application/json": "Healthy"}},
                    "default": {"description": failed, "schema": ref("ErrorResponse")}}}},
                prefix + "/score": {"post": {
                    "operationId": "RunMLService",
                    "description": "Run web service's model and get the prediction output",
                    "security": [{"Bearer": []}],
                    "parameters": [{"name": "serviceInputPayload", "in": "body", "description": payload, "schema": ref("ServiceInput")}],
                    "responses": {"200": {"description": scored, "schema": ref("ServiceOutput")},
                                  "default": {"description": failed, "schema": ref("ErrorResponse")}}}},
                prefix + "/swagger.json": {"get": {
                    "operationId": "GetSwaggerSpec",
                    "description": "Get the Swagger specification.",
                    "parameters": [{"name": "version", "in": "query", "required": False, "type": "integer", "enum": [2, 3]}],
                    "responses": {"200": {"description": "The Swagger specification.", "schema": {"type": "string"}},
                                  "default": {"description": failed, "schema": ref("ErrorResponse")}}}},
            },
            "definitions": {"ServiceInput": service_input, "ServiceOutput": service_output, "ErrorResponse": error},
        }
    ref = lambda n: {"$ref": "#/components/schemas/%s" % n}  # noqa: E731
    as_json = lambda schema: {"application/json": {"schema": schema}}  # noqa: E731
    return {
        "openapi": "3.1.0" if version == "3.1" else "3.0.3",
        "info": info,
        "security": [{"Bearer": []}],
        "paths": {
            prefix + "/": {"get": {"operationId": "ServiceHealthCheck", "description": health, "responses": {
                "200": {"description": healthy, "content": {"text/plain": {"schema": {"type": "string", "example": "Healthy"}}}},
                "default": {"description": failed, "content": as_json(ref("ErrorResponse"))}}}},
            prefix + "/score": {"post": {
                "operationId": "RunMLService",
                "description": "Run web service's model and get the prediction output",
                "security": [{"Bearer": []}],
                "requestBody": {"description": payload, "content": as_json(ref("ServiceInput"))},
                "responses": {"200": {"description": scored, "content": as_json(ref("ServiceOutput"))},
                              "default": {"description": failed, "content": as_json(ref("ErrorResponse"))}}}},
            prefix + "/swagger.json": {"get": {
                "operationId": "GetSwaggerSpec",
                "description": "Get the Swagger specification.",
                "parameters": [{"name": "version", "in": "query", "required": False, "schema": {"type": "integer", "enum": [2, 3]}}],
                "responses": {"200": {"description": "The Swagger specification.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                              "default": {"description": failed, "content": as_json(ref("ErrorResponse"))}}}},
        },
        "components": {
            "schemas": {"ServiceInput": service_input, "ServiceOutput": service_output, "ErrorResponse": error},
            "securitySchemes": {"Bearer": bearer},
        },
    }


def make_handler(module, shape, slots, app_root):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = SERVER_VERSION
        sys_version = ""

        def setup(self):
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm and delayed
            # ACKs hold every keep-alive answer about 40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, fmt, *args):
            log("%s %s" % (self.address_string(), fmt % args))

        def answer(self, status, body, content_type="application/json", extra=None):
            """`extra`: a dict or (name, value) pairs; repeated names are sent as separate lines."""
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-ms-server-version", SERVER_VERSION)
            for k, v in header_pairs(extra or {}):
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def request_ids(self):
            rid = self.headers.get("x-request-id") or self.headers.get("x-ms-request-id") or str(uuid.uuid4())
            ids = {"x-request-id": rid}
            if self.headers.get("x-ms-request-id"):
                ids["x-ms-request-id"] = self.headers["x-ms-request-id"]
            if self.headers.get("x-ms-client-request-id"):
                ids["x-ms-client-request-id"] = self.headers["x-ms-client-request-id"]
            return ids

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/":
                self.answer(200, "Healthy", "text/plain; charset=utf-8")
            elif url.path == "/score":
                self.score("GET", b"")
            elif url.path == "/swagger.json":
                self.swagger(parse_qs(url.query).get("version", ["2"])[0])
            else:
                self.answer(404, json.dumps({"message": "Not found: %s" % url.path}))

        def do_POST(self):
            if urlparse(self.path).path != "/score":
                self.answer(405 if urlparse(self.path).path == "/" else 404, json.dumps({"message": "Method not allowed"}))
                return
            length = int(self.headers.get("Content-Length") or 0)
            self.score("POST", self.rfile.read(length) if length > 0 else b"")

        def do_OPTIONS(self):
            # A @rawhttp run() sees OPTIONS /score too, as under azmlinfsrv.
            if shape["mode"] == "raw" and urlparse(self.path).path == "/score":
                self.score("OPTIONS", b"")
                return
            self.answer(200, "", "text/plain", {"Allow": "GET, POST, OPTIONS"})

        def do_PUT(self):
            self.answer(405, json.dumps({"message": "Method not allowed"}))

        do_DELETE = do_PUT
        do_PATCH = do_PUT

        def run_arguments(self, method, raw):
            """run()'s positional and keyword arguments for this request, per the shape of run()."""
            url = urlparse(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            if shape["mode"] == "raw":
                request = aml_request_module().AMLRequest(method, self.path, self.headers.items(), raw)
                args, kwargs = (), {shape["inputs"][0].name: request}
            elif shape["mode"] == "typed":
                args, kwargs = (), typed_arguments(shape["inputs"], method, query, self.headers, raw.decode("utf-8", errors="replace"))
            elif method == "GET":
                args, kwargs = (json.dumps({k: v[0] if len(v) == 1 else v for k, v in query.items()}),), {}
            else:
                args, kwargs = (raw.decode("utf-8", errors="replace"),), {}
            if shape["headers"]:
                # Names as Flask gives them to azmlinfsrv (dict(request.headers)): "X-Client".
                kwargs["request_headers"] = {k.title(): v for k, v in self.headers.items()}
            return args, kwargs

        def score(self, method, raw):
            ids = self.request_ids()
            if len(ids["x-request-id"]) > 100:
                self.answer(431, json.dumps({"message": "x-request-id is longer than 100 characters"}))
                return
            started = time.monotonic()
            content_type, extra = "application/json", []
            with slots:
                try:
                    args, kwargs = self.run_arguments(method, raw)
                    result = module.run(*args, **kwargs)
                    if is_response(result):
                        status, body = int(result.status_code), result.get_data()
                        pairs = header_pairs(result.headers)
                        content_type = next((v for k, v in pairs if k.lower() == "content-type"), None)
                        skip = ("content-type", "content-length", "transfer-encoding", "connection", "x-ms-run-function-failed")
                        extra = [(k, v) for k, v in pairs if k.lower() not in skip]
                    else:
                        status, body = 200, to_json(result)
                except RequestError as e:
                    status, body = e.status, json.dumps({"message": e.message})
                except Exception as e:
                    refused = bad_input(e, module.run) if shape["mode"] == "typed" else None
                    if refused:
                        # @input_schema could not convert a parameter: the request's fault.
                        log("run() input refused: %s" % refused)
                        status, body = 400, json.dumps({"message": refused})
                    else:
                        log("run() raised:\n" + traceback.format_exc())
                        status = 500
                        body = json.dumps(
                            {"message": "An unexpected error occurred in scoring script. Check the logs for more info."}
                        )
            ms = int((time.monotonic() - started) * 1000)
            extra += list(ids.items())
            extra.append(("x-ms-run-fn-exec-ms", str(ms)))
            if status >= 500:
                extra.append(("x-ms-run-function-failed", "True"))
            self.answer(status, body, content_type, extra)

        def swagger(self, version):
            versions = {"2": "2.0", "2.0": "2.0", "3": "3.0", "3.0": "3.0", "3.1": "3.1"}
            if version not in versions:
                self.answer(404, json.dumps({"message": "swagger version %s is not supported (2, 3, 3.1)" % version}))
                return
            own = ["swagger.json", "swagger2.json"] if versions[version] == "2.0" else ["swagger3.json"]
            for name in own:
                path = os.path.join(app_root, name)
                if os.path.isfile(path):
                    with open(path, "rb") as f:
                        self.answer(200, f.read())
                    return
            spec = swagger_spec(module.run, versions[version])
            if spec is None:
                self.answer(404, json.dumps({"message": "swagger version %s is not supported by run()'s schema" % version}))
                return
            self.answer(200, json.dumps(spec))

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entry_script", "--entry-script", dest="entry_script", required=True)
    parser.add_argument("--model_dir", "--model-dir", dest="model_dir", default="")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--port-file", dest="port_file", default="")
    parser.add_argument("--exit-with-parent", dest="exit_with_parent", action="store_true")
    args = parser.parse_args()

    if args.exit_with_parent:
        # A replica never outlives the server that started it (kill -9 of the server included).
        parent = os.getppid()

        def watch():
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()

    if args.model_dir:
        os.environ["AZUREML_MODEL_DIR"] = os.path.abspath(args.model_dir)
    entry = os.path.abspath(args.entry_script)
    os.environ["AZUREML_ENTRY_SCRIPT"] = entry
    app_root = os.environ.setdefault("AML_APP_ROOT", os.path.dirname(entry))
    workers = max(1, int(os.environ.get("WORKER_COUNT", "1") or "1"))
    log("loading %s (AZUREML_MODEL_DIR=%s, WORKER_COUNT=%d)" % (entry, os.environ.get("AZUREML_MODEL_DIR", ""), workers))
    try:
        install_fallbacks()
        module = load_user_script(entry)
        shape = run_shape(module.run)
        module.init()
    except BaseException:
        log("init() failed:\n" + traceback.format_exc())
        if os.environ.get("AZUREML_MODEL_DIR"):
            log("AZUREML_MODEL_DIR holds:\n" + model_tree(os.environ["AZUREML_MODEL_DIR"]))
        sys.stderr.flush()
        os._exit(INIT_FAILED_EXIT)
    log("init() done")

    server = ThreadingHTTPServer((args.host, args.port), make_handler(module, shape, threading.BoundedSemaphore(workers), app_root))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    log("listening on http://%s:%d (GET /, POST /score, GET /swagger.json)" % (args.host, port))

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    log("stopped")


if __name__ == "__main__":
    main()
