"""@rawhttp and AMLRequest, as azureml-inference-server-http provides them to score.py.

With @rawhttp, run() gets the request itself instead of the body as a string. Hangar's scoring
host builds an AMLRequest: the parts of a Flask request scoring scripts use (method, headers,
args, get_data(), json, get_json(), full_path, path, content_type, mimetype, is_json).
"""

import json
from urllib.parse import parse_qsl, urlsplit

# As in azmlinfsrv: one flag for the whole script (a driver module may re-wrap run()).
_rawHttpRequested = False


def rawhttp(func):
    global _rawHttpRequested
    _rawHttpRequested = True
    return func


class Headers:
    """Case-insensitive request headers; iterating yields (name, value) pairs, as werkzeug's do."""

    def __init__(self, pairs):
        self._pairs = list(pairs)

    def get(self, key, default=None, type=None):
        for k, v in self._pairs:
            if k.lower() == key.lower():
                return type(v) if type else v
        return default

    def getlist(self, key):
        return [v for k, v in self._pairs if k.lower() == key.lower()]

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        return self.get(key) is not None

    def __iter__(self):
        return iter(self._pairs)

    def __len__(self):
        return len(self._pairs)

    def keys(self):
        return [k for k, _ in self._pairs]

    def values(self):
        return [v for _, v in self._pairs]

    def items(self):
        return list(self._pairs)

    def to_wsgi_list(self):
        return list(self._pairs)

    def __repr__(self):
        return "Headers(%r)" % self._pairs


class Args(dict):
    """The query string: `args["k"]`/`args.get("k")` give the first value, `getlist("k")` all of them."""

    def __init__(self, pairs):
        super().__init__()
        self._lists = {}
        for k, v in pairs:
            self._lists.setdefault(k, []).append(v)
            dict.setdefault(self, k, v)

    def get(self, key, default=None, type=None):
        if key not in self:
            return default
        value = dict.__getitem__(self, key)
        if type is None:
            return value
        try:
            return type(value)
        except (TypeError, ValueError):
            return default

    def getlist(self, key, type=None):
        values = self._lists.get(key, [])
        return [type(v) for v in values] if type else list(values)

    def to_dict(self, flat=True):
        return dict(self) if flat else {k: list(v) for k, v in self._lists.items()}


class AMLRequest:
    def __init__(self, method, target, headers, body):
        url = urlsplit(target)
        self.method = method
        self.path = url.path
        self.query_string = url.query.encode("utf-8")
        self.full_path = "%s?%s" % (url.path, url.query)
        self.args = Args(parse_qsl(url.query, keep_blank_values=True))
        self.headers = Headers(headers)
        self.host = self.headers.get("Host", "")
        self.url = "http://%s%s" % (self.host, target)
        self.base_url = "http://%s%s" % (self.host, url.path)
        self._body = body or b""
        self.content_type = self.headers.get("Content-Type", "")
        self.mimetype = self.content_type.split(";")[0].strip().lower()
        self.content_length = len(self._body)
        self.remote_addr = None

    @property
    def data(self):
        return self._body

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        return self._body.decode("utf-8", errors="replace") if as_text else self._body

    @property
    def is_json(self):
        return self.mimetype == "application/json" or (self.mimetype.startswith("application/") and self.mimetype.endswith("+json"))

    def get_json(self, force=False, silent=False, cache=True):
        """The body parsed as JSON; None when it is not JSON-typed (unless force) or, with silent, not JSON."""
        if not (force or self.is_json):
            return None
        try:
            return json.loads(self._body.decode("utf-8"))
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self):
        return self.get_json()

    def __repr__(self):
        return "<AMLRequest %s %s>" % (self.method, self.full_path)
