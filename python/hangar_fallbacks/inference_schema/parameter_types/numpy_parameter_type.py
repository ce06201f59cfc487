"""numpy samples: input becomes an array of the sample's dtype, its shape checked after dimension 0."""

import numpy as np

from ._constants import SWAGGER_FORMAT_CONSTANTS
from .abstract_parameter_type import AbstractParameterType

_SIMPLE = {
    "int8": {"type": "integer", "format": "int8"},
    "int16": {"type": "integer", "format": "int16"},
    "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "uint8": {"type": "integer", "format": "uint8"},
    "uint16": {"type": "integer", "format": "uint16"},
    "uint32": {"type": "integer", "format": "uint32"},
    "uint64": {"type": "integer", "format": "uint64"},
    "bool": {"type": "boolean"},
    "float16": {"type": "number", "format": "float"},
    "float32": {"type": "number", "format": "float"},
    "float64": {"type": "number", "format": "double"},
    "object": {"type": "object"},
}


def dtype_to_swagger(dtype):
    if dtype.names:
        return {"type": "object", "properties": {n: dtype_to_swagger(dtype[n]) for n in dtype.names}}
    if dtype.subdtype is not None:
        return nest_array(dtype_to_swagger(dtype.subdtype[0]), dtype.subdtype[1])
    name = dtype.name.lower()
    if name in _SIMPLE:
        return dict(_SIMPLE[name])
    if name.startswith("datetime"):
        return {"type": "string", "format": "date-time"}
    if name.startswith("str"):
        return {"type": "string"}
    if name.startswith("bytes") or name.startswith("void"):
        return {"type": "string", "format": "binary"}
    if name.startswith("timedelta"):
        return {"type": "string", "format": "timedelta"}
    raise TypeError("no swagger schema for numpy data of type %s" % name)


def nest_array(item, shape):
    schema = {"type": "array", "items": item}
    for _ in range(len(shape) - 1):
        schema = {"type": "array", "items": schema}
    return schema


class NumpyParameterType(AbstractParameterType):
    def __init__(self, sample_input, enforce_column_type=True, enforce_shape=True):
        if not isinstance(sample_input, np.ndarray):
            raise TypeError("Invalid sample input provided, must provide a sample Numpy array.")
        super().__init__(sample_input)
        self.enforce_column_type = enforce_column_type
        self.enforce_shape = enforce_shape

    def deserialize_input(self, input_data):
        if isinstance(input_data, np.ndarray):
            return input_data
        if not isinstance(input_data, list):
            raise ValueError("Invalid input format: expected an array of items.")
        dtype = self.sample_input.dtype
        try:
            if self.enforce_column_type:
                rows = [_record(x, dtype) for x in input_data]
                array = np.array(rows, dtype=dtype)
            else:
                array = np.array(input_data)
        except (TypeError, ValueError, KeyError, IndexError) as e:
            raise ValueError("cannot make an array of %s from the input: %s" % (dtype, e)) from None
        if self.enforce_shape:
            want, got = self.sample_input.shape, array.shape
            if len(got) != len(want):
                raise ValueError(
                    "Invalid input array: an array with {0} dimensions is expected; input has {1} [shape {2}]".format(
                        len(want), len(got), got
                    )
                )
            for dim in range(1, len(want)):
                if got[dim] != want[dim]:
                    raise ValueError(
                        "Invalid input array: array has size {0} on dimension #{1}, while expected value is {2}".format(
                            got[dim], dim, want[dim]
                        )
                    )
        return array

    def input_to_swagger(self):
        schema = nest_array(dtype_to_swagger(self.sample_input.dtype), self.sample_input.shape)
        schema["example"] = [self._get_data_record_swagger_sample(schema["items"], x) for x in self.sample_input]
        schema["format"] = SWAGGER_FORMAT_CONSTANTS.NUMPY_FORMAT
        return schema


def _record(value, dtype):
    """A structured dtype's row may come as an object ({"name": …}) or a list; numpy wants a tuple."""
    if dtype.names:
        if isinstance(value, dict):
            return tuple(_record(value[n], dtype[n]) for n in dtype.names)
        return tuple(_record(value[i], dtype[n]) for i, n in enumerate(dtype.names))
    name = dtype.name.lower()
    if name.startswith("datetime"):
        return np.datetime64(value)
    if name.startswith("timedelta") and isinstance(value, str):
        amount, _, unit = value.partition(" ")
        units = {"days": "D", "hours": "h", "minutes": "m", "seconds": "s", "milliseconds": "ms"}
        return np.timedelta64(int(amount), units.get(unit.lower(), unit))
    return value
