"""The base of every parameter type: a sample value, its swagger schema and how JSON input becomes it."""

import base64
import datetime as dt
from abc import ABC, abstractmethod


class AbstractParameterType(ABC):
    def __init__(self, sample_input):
        self.sample_input = sample_input
        self.sample_data_type = type(sample_input)

    def supported_versions(self):
        """Swagger 2 has no mixed-type arrays, so a sample with one is described for OpenAPI 3 only."""
        versions = ["3.0", "3.1"]
        if _uniform(self.input_to_swagger().get("example")):
            versions.append("2.0")
        return sorted(versions)

    @abstractmethod
    def deserialize_input(self, input_data):
        """Turns parsed JSON into the declared type; raises ValueError when it cannot."""

    @abstractmethod
    def input_to_swagger(self):
        """A swagger schema object (with `example`) describing the sample."""

    @classmethod
    def _get_data_record_swagger_sample(cls, schema, item):
        """The JSON form of `item` as `schema` describes it (the schema's example)."""
        kind = schema.get("type")
        if kind == "object" and "properties" in schema:
            return {k: cls._get_data_record_swagger_sample(s, _field(item, k, i)) for i, (k, s) in enumerate(schema["properties"].items())}
        if kind == "array":
            return [cls._get_data_record_swagger_sample(schema["items"], x) for x in item]
        if kind == "number":
            return float(item)
        if kind == "integer":
            return int(item)
        if kind == "boolean":
            return bool(item)
        fmt = schema.get("format")
        if kind == "string" and fmt == "binary" and isinstance(item, (bytes, bytearray)):
            return base64.b64encode(bytes(item)).decode("utf-8")
        if kind == "string" and fmt in ("date", "date-time") and hasattr(item, "astype"):
            value = item.astype(dt.datetime)
            return value.strftime("%Y-%m-%d") if fmt == "date" else value.strftime("%Y-%m-%d %H:%M:%S,%f")
        return str(item)


def _field(item, name, index):
    try:
        return item[name]
    except (KeyError, IndexError, TypeError, ValueError):
        return item[index]


def _uniform(value):
    if isinstance(value, list):
        if value and any(type(x) is not type(value[0]) for x in value):
            return False
        return all(_uniform(x) for x in value)
    if isinstance(value, dict):
        return all(_uniform(x) for x in value.values())
    return True
