"""The migration's phases and paths (inference/migration/config.py says what each phase does)."""

from __future__ import annotations

PHASES = ("alpha", "side-by-side", "split", "v1", "cleanup")  # the zero-downtime path, in order
PATHS = ("zero-downtime", "simple")
SIMPLE_PHASES = ("alpha", "cleanup")  # the simple path: one `pulumi up` with downtime
