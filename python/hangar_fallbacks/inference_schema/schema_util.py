"""Where the decorators record each function's schemas, and how the server reads them back."""

import copy

from ._constants import ALL_SUPPORTED_VERSIONS, INPUT_SCHEMA_ATTR, OUTPUT_SCHEMA_ATTR

__functions_schema__ = {}
__versions__ = {}


def base_function(func):
    """The user's own function under any functools.wraps-style decorators."""
    seen = set()
    while hasattr(func, "__wrapped__") and id(func) not in seen:
        seen.add(id(func))
        func = func.__wrapped__
    return func


def function_key(func):
    base = base_function(func)
    return "%s.%s" % (getattr(base, "__module__", "<unknown>"), getattr(base, "__name__", "<unknown>"))


def get_input_schema(func):
    return copy.deepcopy(__functions_schema__.get(function_key(func), {}).get(INPUT_SCHEMA_ATTR, {"type": "object"}))


def get_output_schema(func):
    return copy.deepcopy(__functions_schema__.get(function_key(func), {}).get(OUTPUT_SCHEMA_ATTR, {"type": "object"}))


def get_supported_versions(func):
    """The swagger versions every decorator of `func` can be described in (all, when none narrows them)."""
    versions = set(ALL_SUPPORTED_VERSIONS)
    for attr_versions in __versions__.get(function_key(func), {}).values():
        versions &= set(attr_versions)
    return sorted(versions)


def get_schemas_dict():
    return copy.deepcopy(__functions_schema__)


def is_schema_decorated(func):
    return function_key(func) in __functions_schema__
