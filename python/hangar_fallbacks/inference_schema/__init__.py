"""Hangar's minimal stand-in for the `inference-schema` package (used when it is not installed)."""

__version__ = "1.8.0+hangar"
