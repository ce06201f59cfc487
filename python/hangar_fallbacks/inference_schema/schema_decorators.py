"""@input_schema and @output_schema: declare run()'s parameter and result types by sample.

@input_schema converts the named argument (parsed JSON) to the declared type before run() sees it.
A value that does not convert raises InvalidInput, which names the parameter; Hangar's scoring
host answers it with 400 (Azure's server lets the error become a 500).
"""

import copy
import functools
import inspect

from ._constants import INPUT_SCHEMA_ATTR, OUTPUT_SCHEMA_ATTR
from .parameter_types.abstract_parameter_type import AbstractParameterType
from .schema_util import __functions_schema__, __versions__, base_function, function_key


class InvalidInput(ValueError):
    """A request value that does not convert to its parameter's declared type."""

    def __init__(self, param_name, reason):
        super().__init__("Invalid value for the %r parameter: %s" % (param_name, reason))
        self.param_name = param_name
        # What the scoring host looks for: this error is the caller's, not the script's.
        self.hangar_bad_input = param_name


def input_schema(param_name, param_type, convert_to_provided_type=True, optional=False):
    if not isinstance(param_type, AbstractParameterType):
        raise TypeError("Error, provided param_type must be a subclass of the AbstractParameterType.")
    item = param_type.input_to_swagger()

    def decorate(func):
        base = base_function(func)
        names = list(inspect.signature(base).parameters)
        if param_name not in names:
            raise ValueError('Error, provided param_name "%s" is not in the decorated function.' % param_name)
        schema = __functions_schema__.setdefault(function_key(base), {}).setdefault(
            INPUT_SCHEMA_ATTR,
            {"type": "object", "properties": {n: {} for n in names}, "example": {n: "" for n in names}},
        )
        described = copy.deepcopy(item)
        schema["example"][param_name] = described.pop("example", None)
        schema["properties"][param_name] = described
        _narrow_versions(base, INPUT_SCHEMA_ATTR, param_type.supported_versions())
        signature = inspect.signature(func)

        @functools.wraps(func)
        def run_with_input(*args, **kwargs):
            if convert_to_provided_type:
                bound = signature.bind_partial(*args, **kwargs)
                value = bound.arguments.get(param_name, None)
                if param_name in bound.arguments and not (optional and not value):
                    bound.arguments[param_name] = _convert(value, param_type, param_name)
                args, kwargs = bound.args, bound.kwargs
            return func(*args, **kwargs)

        return run_with_input

    return decorate


def output_schema(output_type):
    if not isinstance(output_type, AbstractParameterType):
        raise TypeError("Error, provided param_type must be a subclass of the AbstractParameterType.")
    schema = output_type.input_to_swagger()

    def decorate(func):
        entry = __functions_schema__.setdefault(function_key(func), {})
        if OUTPUT_SCHEMA_ATTR in entry:
            raise ValueError("Error, output schema already defined for function: %s." % function_key(func))
        entry[OUTPUT_SCHEMA_ATTR] = schema
        _narrow_versions(base_function(func), OUTPUT_SCHEMA_ATTR, output_type.supported_versions())
        return func

    return decorate


def _narrow_versions(base, attr, versions):
    entry = __versions__.setdefault(function_key(base), {})
    entry[attr] = sorted(set(entry.get(attr, versions)) & set(versions))


def _convert(value, param_type, name):
    try:
        return _deserialize(value, param_type, name)
    except InvalidInput:
        raise
    except Exception as e:  # any failure to convert is the input's fault, named by parameter
        raise InvalidInput(name, str(e) or type(e).__name__) from None


def _deserialize(value, param_type, name):
    kind = param_type.sample_data_type
    if kind is dict and hasattr(param_type, "sample_data_type_map"):
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object, got %s" % _json_kind(value))
        for key, nested in param_type.sample_data_type_map.items():
            if key in value:
                value[key] = _deserialize(value[key], nested, key)
        return value
    if kind in (list, tuple) and hasattr(param_type, "sample_data_type_list"):
        if not isinstance(value, (list, tuple)):
            raise ValueError("expected a JSON array, got %s" % _json_kind(value))
        if param_type.sample_data_type_list:
            nested = param_type.sample_data_type_list[0]
            value = [_deserialize(x, nested, name) for x in value]
        return param_type.deserialize_input(value)
    if isinstance(value, kind) and not (type(value) is bool and kind is not bool):
        return value
    return param_type.deserialize_input(value)


def _json_kind(value):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
