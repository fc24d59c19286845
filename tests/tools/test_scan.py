"""The scan's bookkeeping (tools/scan.py), without Checkov: what it hands Checkov of the GCP resources, and how it
judges findings against the checked-in accepted list. `make scan` runs Checkov itself (CI, .ci/run)."""

from __future__ import annotations

import fnmatch

from tools import scan
from tools.scan import Finding


def test_gcp_resources_are_written_as_terraform_json_under_their_terraform_names():
    resources = [
        {
            "type": "gcp:container/cluster:Cluster",
            "name": "c",
            "inputs": {"privateClusterConfig": {"enablePrivateNodes": True}, "resourceLabels": {"team": "ml"}},
        },
        {"type": "kubernetes:core/v1:Namespace", "name": "ns", "inputs": {}},
    ]
    assert scan.terraform_json(resources) == {
        "resource": {
            "google_container_cluster": {
                "c": {"private_cluster_config": [{"enable_private_nodes": True}], "resource_labels": [{"team": "ml"}]}
            }
        }
    }


def test_a_finding_nobody_accepted_fails_and_so_does_an_acceptance_nothing_needs():
    rows = [("dev", "CKV_GCP_20", "resource.cluster-*-gke", "open on purpose"), ("*", "CKV_X", "*", "gone")]
    found = {Finding("dev", "CKV_GCP_20", "resource.cluster-us-east5-gke"), Finding("prod", "CKV_GCP_20", "r")}
    new, stale = scan.judge(found, rows)
    assert new == [Finding("prod", "CKV_GCP_20", "r")]
    assert stale == ["*\tCKV_X\t*"]


def test_the_accepted_list_gives_every_finding_a_reason_and_never_accepts_an_open_prod_control_plane():
    rows = scan.accepted()
    assert rows and all(reason.strip() for *_, reason in rows)
    assert all(any(fnmatch.fnmatchcase(s, stack) for s in scan.STACKS) for stack, *_ in rows)
    for check in ("CKV_GCP_20", "CKV_GCP_25", "CKV_GCP_64", "CKV2_K8S_6", "CKV_K8S_22", "CKV_K8S_28", "CKV_K8S_37"):
        new, _ = scan.judge({Finding("prod", check, "resource.cluster-us-east5-gke")}, rows)
        assert new, f"prod must not accept {check}"
