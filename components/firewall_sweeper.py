"""The leftover sweeper's former module. Stacks deployed before the rename keep a reference to this
module in their state (the dynamic provider is pickled by module path), so it stays importable until
every such stack has run one `pulumi up` with components/leftover_sweeper.py."""

from components.leftover_sweeper import _SweeperProvider  # noqa: F401
