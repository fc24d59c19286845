"""The leftover sweeper's provider at its former import path (components/README.md): stacks deployed before
the move keep this path in their state until their next `pulumi up`."""

from inference.core.leftover_sweeper import _SweeperProvider  # noqa: F401
