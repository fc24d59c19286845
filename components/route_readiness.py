"""The route readiness wait's provider at its former import path, kept for good (components/README.md)."""

from inference.single_cluster.route_readiness import _RouteReadinessProvider  # noqa: F401
