"""Standard Python samples (int, float, str, bool, list, dict, dates, bytes), nested types included."""

import base64
import datetime as dt
import json

from ._constants import DATE_FORMAT
from ._util import handle_standard_types
from .abstract_parameter_type import AbstractParameterType


class StandardPythonParameterType(AbstractParameterType):
    def __init__(self, sample_input):
        super().__init__(sample_input)
        # Nested parameter types (a dict or list of them) convert their own parts of the input.
        self.sample_data_type_map = {}
        self.sample_data_type_list = []
        if self.sample_data_type is dict:
            self.sample_data_type_map = {k: v for k, v in sample_input.items() if isinstance(v, AbstractParameterType)}
        elif self.sample_data_type in (list, tuple):
            self.sample_data_type_list = [v for v in sample_input if isinstance(v, AbstractParameterType)]

    def deserialize_input(self, input_data):
        kind = self.sample_data_type
        if kind is dt.date and isinstance(input_data, str):
            input_data = dt.datetime.strptime(input_data, DATE_FORMAT).date()
        elif kind is dt.datetime and isinstance(input_data, str):
            input_data = dt.datetime.fromisoformat(input_data)
        elif kind is dt.time and isinstance(input_data, str):
            input_data = dt.time.fromisoformat(input_data)
        elif kind in (bytes, bytearray) and isinstance(input_data, str):
            input_data = kind(base64.b64decode(input_data.encode("utf-8")))
        if kind is float and type(input_data) is int:
            return input_data
        if kind is tuple and isinstance(input_data, list):
            return tuple(input_data)
        if not isinstance(input_data, kind) or (kind is not bool and type(input_data) is bool):
            raise ValueError(
                "Invalid input data type to parse. Expected: {0} but got {1}".format(kind.__name__, type(input_data).__name__)
            )
        return input_data

    def input_to_swagger(self):
        if self.sample_input is None:
            raise ValueError("Sample input cannot be None")
        schema = handle_standard_types(self.sample_input)
        json.dumps(schema)  # the sample must be JSON-serialisable to describe it
        return schema
