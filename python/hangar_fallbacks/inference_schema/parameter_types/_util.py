"""Swagger schemas (with examples) for standard Python samples, nested parameter types included."""

import base64
import datetime as dt

from ._constants import DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT
from .abstract_parameter_type import AbstractParameterType


def _schema_of(value):
    if isinstance(value, AbstractParameterType):
        return value.input_to_swagger()
    return handle_standard_types(value)


def handle_standard_types(sample):
    kind = type(sample)
    # bool before int: bool is an int subclass, but `type(...) is` keeps them apart anyway.
    if kind is bool:
        return {"type": "boolean", "example": sample}
    if kind is int:
        return {"type": "integer", "format": "int64", "example": sample}
    if kind is float:
        return {"type": "number", "format": "double", "example": sample}
    if kind is str:
        return {"type": "string", "example": sample}
    if kind in (bytes, bytearray):
        return {"type": "string", "format": "byte", "example": base64.b64encode(bytes(sample)).decode("utf-8")}
    if kind is dt.date:
        return {"type": "string", "format": "date", "example": sample.strftime(DATE_FORMAT)}
    if kind is dt.datetime:
        zoned = sample if sample.tzinfo else sample.replace(tzinfo=dt.timezone.utc)
        return {"type": "string", "format": "date-time", "example": zoned.strftime(DATETIME_FORMAT)}
    if kind is dt.time:
        zoned = sample if sample.tzinfo else sample.replace(tzinfo=dt.timezone.utc)
        return {"type": "string", "format": "time", "example": zoned.strftime(TIME_FORMAT)}
    if kind in (list, tuple, range):
        return get_swagger_for_list(sample)
    if kind is dict:
        return get_swagger_for_nested_dict(sample)
    return {"type": "object", "example": sample}


def get_swagger_for_list(items):
    example = []
    item_schema = {"type": "object"}
    for item in items:
        item_schema = _schema_of(item)
        example.append(item_schema.pop("example"))
    return {"type": "array", "items": item_schema, "example": example}


def get_swagger_for_nested_dict(mapping):
    properties = {}
    example = {}
    for key, value in mapping.items():
        schema = _schema_of(value)
        example[key] = schema.pop("example")
        properties[key] = schema
    return {"type": "object", "required": list(mapping.keys()), "properties": properties, "example": example}
