"""pandas samples: input (records, split, … orient) becomes a DataFrame with the sample's column types."""

import json
from io import StringIO

import pandas as pd

from ._constants import SWAGGER_FORMAT_CONSTANTS
from ._util import get_swagger_for_list, get_swagger_for_nested_dict
from .abstract_parameter_type import AbstractParameterType

_ORIENTS = ("split", "records", "index", "columns", "values", "table")


class PandasParameterType(AbstractParameterType):
    def __init__(self, sample_input, enforce_column_type=True, enforce_shape=True, apply_column_names=False, orient="records"):
        if not isinstance(sample_input, pd.DataFrame):
            raise TypeError("Invalid sample input provided, must provide a sample Pandas Dataframe.")
        if orient not in _ORIENTS:
            raise ValueError("Invalid orient provided, must be one of %s" % ", ".join(_ORIENTS))
        super().__init__(sample_input)
        self.enforce_column_type = enforce_column_type
        self.enforce_shape = enforce_shape
        self.apply_column_names = apply_column_names
        self.orient = orient

    def deserialize_input(self, input_data):
        if isinstance(input_data, pd.DataFrame):
            return input_data
        if not isinstance(input_data, (list, dict)):
            raise ValueError("cannot make a DataFrame of a %s (orient %s)" % (type(input_data).__name__, self.orient))
        try:
            frame = pd.read_json(StringIO(json.dumps(input_data)), orient=self.orient, dtype=False)
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            raise ValueError("the input is not a DataFrame in orient %s: %s" % (self.orient, e)) from None
        if self.apply_column_names:
            frame.columns = self.sample_input.columns.copy()
        if self.enforce_shape:
            want, got = self.sample_input.shape, frame.shape
            if len(got) != len(want) or got[1:] != want[1:]:
                raise ValueError(
                    "Invalid input data frame: %d columns (%s) expected, the input has %d (%s)"
                    % (want[1], ", ".join(map(str, self.sample_input.columns)), got[1], ", ".join(map(str, frame.columns)))
                )
        if self.enforce_column_type:
            sample_types = self.sample_input.dtypes.to_dict()
            types = {c: sample_types.get(c, object) for c in frame.columns}
            try:
                for c, t in types.items():
                    if str(t).startswith("timedelta"):
                        frame[c] = pd.to_timedelta(frame[c])
                frame = frame.astype(dtype=types)
            except (TypeError, ValueError) as e:
                raise ValueError("the input's columns do not convert to the sample's types: %s" % e) from None
        return frame

    def input_to_swagger(self):
        sample = json.loads(self.sample_input.to_json(orient=self.orient, date_format="iso"))
        if self.orient in ("records", "values"):
            schema = get_swagger_for_list(sample)
        else:
            schema = get_swagger_for_nested_dict(sample)
        if self.orient == "records":
            for column in self.sample_input.columns:
                kind = str(self.sample_input.dtypes[column])
                if kind.startswith("datetime") or kind.startswith("timedelta"):
                    fmt = "date-time" if kind.startswith("datetime") else "timedelta"
                    schema["items"]["properties"][str(column)]["format"] = fmt
        schema["format"] = SWAGGER_FORMAT_CONSTANTS.PANDAS_FORMAT.format(self.orient)
        return schema
