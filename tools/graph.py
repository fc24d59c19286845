"""The captured dependency graph as Mermaid (`graph.mmd`), for a reviewer to see what waits for what.

Nodes are the resources Pulumi creates, grouped by component; an arrow points from a prerequisite to
what waits for it (a dotted arrow: a Kubernetes object waiting for its cluster's provider). Edges
implied by a longer chain are left out, so the picture shows the order rather than every reference.
The critical path of the time-to-serve model is drawn in red.
"""

from __future__ import annotations

import re

from tools import engine, timing


def _reduce(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Transitive reduction: drop u -> v when v is also reachable from u through another node."""
    reach: dict[str, set[str]] = {}

    def reachable(u: str) -> set[str]:
        if u not in reach:
            reach[u] = set()
            for v in edges.get(u, ()):
                reach[u] |= {v, *reachable(v)}
        return reach[u]

    return {u: {v for v in vs if not any(v in reachable(w) for w in vs - {v})} for u, vs in edges.items()}


def _ids(regs: dict[str, engine.Registration]) -> dict[str, str]:
    """A Mermaid node id per resource, from its name."""
    ids: dict[str, str] = {}
    for urn in sorted(regs, key=lambda u: (regs[u].name, regs[u].type)):
        base = re.sub(r"\W", "_", regs[urn].name)
        ids[urn] = base if base not in ids.values() else f"{base}_{len(ids)}"
    return ids


def _edges(regs: dict[str, engine.Registration]) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """Prerequisite -> dependents, transitively reduced, and the edges that are a provider's."""
    edges: dict[str, set[str]] = {u: set() for u in regs}
    via_provider: set[tuple[str, str]] = set()
    for urn, reg in regs.items():
        for dep in timing.prerequisites(reg):
            if dep in regs:
                edges[dep].add(urn)
                if reg.provider.startswith(dep + "::"):
                    via_provider.add((dep, urn))
    return _reduce(edges), via_provider


def mermaid(plan: engine.Plan, top_component) -> str:
    """`top_component(reg)` names the group a resource is drawn in."""
    regs = {r.urn: r for r in plan.registrations if r.custom or r.remote}
    ids = _ids(regs)
    edges, via_provider = _edges(regs)
    critical = [link.reg.urn for link in timing.critical_path(plan)]
    on_path = set(zip(critical, critical[1:], strict=False))
    groups: dict[str, list[str]] = {}
    for urn in ids:
        groups.setdefault(top_component(regs[urn]), []).append(urn)
    lines = ["flowchart LR"]
    for n, (label, members) in enumerate(sorted(groups.items())):
        lines.append(f'  subgraph g{n}["{label}"]')
        for urn in members:
            reg = regs[urn]
            lines.append(
                f'    {ids[urn]}["{reg.name}<br/>{reg.type.rsplit(":", 1)[-1]} · '
                f'{timing.minutes(timing.seconds_of(reg))}"]'
            )
        lines.append("  end")
    links = [(u, v) for u in sorted(edges, key=ids.__getitem__) for v in sorted(edges[u], key=ids.__getitem__)]
    lines += [f"  {ids[u]} {'-.->' if (u, v) in via_provider else '-->'} {ids[v]}" for u, v in links]
    lines.append("  classDef critical stroke:#d33,stroke-width:3px")
    lines.append(f"  class {','.join(ids[u] for u in critical)} critical")
    lines += [f"  linkStyle {n} stroke:#d33,stroke-width:3px" for n, link in enumerate(links) if link in on_path]
    return "\n".join(lines) + "\n"
