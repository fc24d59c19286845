"""The leftover sweeper's provider at its former import path, kept for good: the state of a stack deployed
before the move holds this path for as long as the resource exists (components/README.md)."""

from inference.core.leftover_sweeper import _SweeperProvider  # noqa: F401
