"""The migration gate's provider at its former import path, kept for good (components/README.md)."""

from inference.migration.gate import _GateProvider  # noqa: F401
