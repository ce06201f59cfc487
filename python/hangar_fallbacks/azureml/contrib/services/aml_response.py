"""AMLResponse: a run() result that sets the HTTP status, headers and body itself."""

import json


class AMLResponse:
    def __init__(self, message, status_code, response_headers=None, json_str=False, run_function_failed=False):
        self.status_code = int(status_code)
        self.headers = []
        if message is None:
            body, content_type = json.dumps({}), "application/json"
        elif json_str or not isinstance(message, (str, bytes, bytearray)):
            body, content_type = json.dumps(message), "application/json"
        else:
            body, content_type = message, "text/html; charset=utf-8"
        self._body = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        given = {k.lower() for k in (response_headers or {})}
        if "content-type" not in given:
            self.headers.append(("Content-Type", content_type))
        if run_function_failed:
            self.headers.append(("x-ms-run-function-failed", "True"))
        # Repeated headers come comma-separated, as azmlinfsrv splits them.
        for name, value in (response_headers or {}).items():
            for part in str(value).split(","):
                self.headers.append((name, part.strip()))

    @property
    def status(self):
        return "%d" % self.status_code

    @property
    def data(self):
        return self._body

    def get_data(self, as_text=False):
        return self._body.decode("utf-8", errors="replace") if as_text else self._body
