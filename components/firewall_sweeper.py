"""The leftover sweeper's provider at its first import path, kept for good (components/README.md)."""

from inference.core.leftover_sweeper import _SweeperProvider  # noqa: F401
