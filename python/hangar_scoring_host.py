"""Hangar's scoring host: the contract Azure ML's inference server keeps for a user's score.py.

GET / answers "Healthy"; POST /score (and GET /score) calls run(); GET /swagger.json serves a
spec. init() runs once, with AZUREML_MODEL_DIR set, before the port opens; when it raises the
traceback goes to the log and the process exits with code 3, as azmlinfsrv does. Standard
library only, so a replica runs wherever a python3 does.
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


def run_shape(run):
    """How run() takes its input: the body as a string, plus request_headers when it asks."""
    params = list(inspect.signature(run).parameters.values())
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError("run() may not take *args, **kwargs or positional-only parameters")
    return {"headers": any(p.name == "request_headers" for p in params)}


def to_json(value):
    def default(o):
        if hasattr(o, "tolist"):
            return o.tolist()
        if hasattr(o, "item"):
            return o.item()
        return str(o)

    return json.dumps(value, default=default)


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
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-ms-server-version", SERVER_VERSION)
            for k, v in (extra or {}).items():
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
                query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(url.query).items()}
                self.score(json.dumps(query))
            elif url.path == "/swagger.json":
                self.swagger(parse_qs(url.query).get("version", ["2"])[0])
            else:
                self.answer(404, json.dumps({"message": "Not found: %s" % url.path}))

        def do_POST(self):
            if urlparse(self.path).path != "/score":
                self.answer(405 if urlparse(self.path).path == "/" else 404, json.dumps({"message": "Method not allowed"}))
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            self.score(raw.decode("utf-8", errors="replace"))

        def do_OPTIONS(self):
            self.answer(200, "", "text/plain", {"Allow": "GET, POST, OPTIONS"})

        def do_PUT(self):
            self.answer(405, json.dumps({"message": "Method not allowed"}))

        do_DELETE = do_PUT
        do_PATCH = do_PUT

        def score(self, data):
            ids = self.request_ids()
            if len(ids["x-request-id"]) > 100:
                self.answer(431, json.dumps({"message": "x-request-id is longer than 100 characters"}))
                return
            started = time.monotonic()
            with slots:
                try:
                    if shape["headers"]:
                        result = module.run(data, request_headers=dict(self.headers.items()))
                    else:
                        result = module.run(data)
                    status, body = 200, to_json(result)
                except Exception:
                    log("run() raised:\n" + traceback.format_exc())
                    status = 500
                    body = json.dumps(
                        {"message": "An unexpected error occurred in scoring script. Check the logs for more info."}
                    )
            ms = int((time.monotonic() - started) * 1000)
            extra = dict(ids)
            extra["x-ms-run-fn-exec-ms"] = str(ms)
            if status >= 500:
                extra["x-ms-run-function-failed"] = "True"
            self.answer(status, body, extra=extra)

        def swagger(self, version):
            names = {"2": "swagger2.json", "3": "swagger3.json", "3.1": "swagger3.json"}
            if version not in names:
                self.answer(404, json.dumps({"message": "swagger version %s is not supported (2, 3, 3.1)" % version}))
                return
            own = os.path.join(app_root, names[version])
            if os.path.isfile(own):
                with open(own, "rb") as f:
                    self.answer(200, f.read())
                return
            path = {"post": {"description": "Run the scoring script's run()", "responses": {"200": {"description": "run()'s answer, as JSON"}}}}
            if version == "2":
                spec = {"swagger": "2.0", "info": {"title": "hangar-scoring-host", "version": "1.0"}, "paths": {"/score": path}}
            else:
                spec = {"openapi": "3.1.0" if version == "3.1" else "3.0.1", "info": {"title": "hangar-scoring-host", "version": "1.0"}, "paths": {"/score": path}}
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
