"""Minimal stand-in for pydash: only what azure-ai-ml 1.4.0 imports (Debian does not package pydash).

Users who install azure-ai-ml from the Python package index get the real pydash instead.
"""

from . import objects

__all__ = ["get", "omit", "objects"]

_MISSING = object()


def _parts(path):
    if isinstance(path, (list, tuple)):
        return list(path)
    return [p for p in str(path).split(".") if p != ""]


def get(obj, path, default=None):
    """Value at a dotted path in nested dicts/lists (or attributes); `default` when a level is missing."""
    current = obj
    for part in _parts(path):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, (list, tuple)):
            try:
                current = current[int(part)]
            except (ValueError, IndexError):
                current = _MISSING
        else:
            current = getattr(current, part, _MISSING)
        if current is _MISSING:
            return default
    return current


def omit(obj, keys):
    """A shallow copy of a dict without the given top-level keys."""
    if isinstance(keys, str):
        keys = [keys]
    drop = set(keys)
    return {k: v for k, v in dict(obj).items() if k not in drop}
