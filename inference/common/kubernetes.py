"""Kubernetes building blocks every feature's pods share: the hardened security contexts and the pod's own
identity as environment variables. One definition each, so a hardening lands everywhere at once."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi_kubernetes as k8s

NONROOT_UID = 65532  # distroless's `nonroot`: the simulator's and the endpoint picker's images run as it
NOBODY = 65534
# The pod's name, namespace and address, as the simulator and the endpoint picker read them.
POD_IDENTITY = (("POD_NAME", "metadata.name"), ("NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP"))


def restricted(
    *, add: Sequence[str] = (), user: int | None = None, read_only_root: bool | None = None
) -> k8s.core.v1.SecurityContextArgs:
    """No privilege escalation and no capability but those in `add` (Pod Security's restricted level); with
    `user`, the container runs as that non-root user and group whatever its pod says."""
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True if user is not None else None,
        run_as_user=user,
        run_as_group=user,
        read_only_root_filesystem=read_only_root,
        allow_privilege_escalation=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"], add=list(add) or None),
    )


def runtime_default() -> k8s.core.v1.SeccompProfileArgs:
    return k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")


def seccomp_pod() -> k8s.core.v1.PodSecurityContextArgs:
    """The container runtime's seccomp profile, for pods whose image's user the program does not choose."""
    return k8s.core.v1.PodSecurityContextArgs(seccomp_profile=runtime_default())


def nonroot_pod(
    user: int = NONROOT_UID, group: int | None = None, sysctls: Sequence[k8s.core.v1.SysctlArgs] = ()
) -> k8s.core.v1.PodSecurityContextArgs:
    """A non-root user (and group) for every container, and the runtime's seccomp profile."""
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=user,
        run_as_group=group,
        seccomp_profile=runtime_default(),
        sysctls=list(sysctls) or None,
    )


def scratch(*mounts: tuple[str, str], memory: bool = False) -> tuple[list, list]:
    """Writable emptyDir volumes for a container whose root filesystem is read-only: (name, mount path) each;
    returns (volumes, volume mounts)."""
    source = k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory" if memory else None)
    volumes = [k8s.core.v1.VolumeArgs(name=name, empty_dir=source) for name, _ in mounts]
    return volumes, [k8s.core.v1.VolumeMountArgs(name=name, mount_path=path) for name, path in mounts]


def field_env(*pairs: tuple[str, str]) -> list[k8s.core.v1.EnvVarArgs]:
    """Environment variables from the pod's own fields: (name, field path)."""
    return [
        k8s.core.v1.EnvVarArgs(
            name=var,
            value_from=k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path=path)),
        )
        for var, path in pairs
    ]
