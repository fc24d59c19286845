"""The leftover sweeper's provider at its first import path (components/README.md)."""

from inference.core.leftover_sweeper import _SweeperProvider  # noqa: F401
