"""GitHub Actions workflows: actionlint (with shellcheck on every `run:` script) reports nothing, and the
properties review and deployment rely on hold: pinned actions, least permissions, fork-safe comments, the
credential gate of the previews, dev before prod with one update per stack at a time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import engine, stack_file

WORKFLOWS = engine.ROOT / ".github" / "workflows"
FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
STACKS = stack_file.stack_names(engine.ROOT)
# Stacks in the cloud; one on an existing cluster (`existingCluster`, e.g. a developer's kind) no runner reaches.
CLOUD_STACKS = [
    s for s in STACKS if "inference-platform:existingCluster:" not in (engine.ROOT / f"Pulumi.{s}.yaml").read_text()
]
PULUMI_VERSION = re.search(r"^pulumi==(\S+)", (engine.ROOT / "requirements.txt").read_text(), re.M).group(1)
SHA = re.compile(r"[0-9a-f]{40}")
ENABLED = "steps.gate.outputs.enabled == 'true'"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(doc: dict) -> dict:
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as true
    return {on: None} if isinstance(on, str) else dict(on)


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(job: dict, action: str) -> list[dict]:
    return [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]


def all_jobs() -> list[tuple[str, str, dict]]:
    return [(f.name, name, job) for f in FILES for name, job in load(f.name)["jobs"].items()]


def tool(name: str) -> str:
    """A tool installed by requirements-dev.txt, next to this interpreter or on PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -r requirements-dev.txt")
    return found


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    command = [tool("actionlint"), "-no-color", "-oneline", "-shellcheck", tool("shellcheck"), "-pyflakes", ""]
    return subprocess.run([*command, *map(str, paths)], cwd=engine.ROOT, capture_output=True, text=True, timeout=120)


def run_script(script: str, env: dict[str, str], tmp_path: Path, cwd: Path = engine.ROOT) -> tuple[int, str, dict]:
    """Runs a `run:` script with bash as a runner would; returns the exit code, stdout and $GITHUB_OUTPUT."""
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    full = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), **env}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=full, capture_output=True, text=True, timeout=60)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done.returncode, done.stdout + summary.read_text(), outputs


def test_the_workflows_exist():
    assert {f.name for f in FILES} == {
        "pull-request.yml",
        "tests.yml",
        "offline-plan-comment.yml",
        "deploy.yml",
        "drift.yml",
        "e2e.yml",
    }


def test_actionlint_reports_nothing():
    result = actionlint(*FILES)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_and_shellcheck_do_report_problems(tmp_path):
    """The check above is only worth something if actionlint really runs, with shellcheck."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ matrix.nope }}\n      - run: rm -rf $DIR/*\n"
    )
    result = actionlint(bad)
    assert result.returncode == 1
    assert "matrix.nope" in result.stdout or 'property "nope"' in result.stdout
    assert "SC2086" in result.stdout  # from shellcheck


def test_every_action_is_pinned_to_a_commit_with_its_version():
    pins: dict[str, set[str]] = {}
    for f in FILES:
        for line in f.read_text().splitlines():
            match = re.match(r"\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if not match:
                continue
            ref, rest = match.groups()
            if ref.startswith("./"):
                assert (engine.ROOT / ref).is_file(), ref  # a reusable workflow of this repository
                continue
            action, _, commit = ref.partition("@")
            assert SHA.fullmatch(commit), f"{f.name}: {ref} is not pinned to a full commit SHA"
            assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+\b.*", rest), f"{f.name}: {ref} has no version comment"
            pins.setdefault(action, set()).add(f"{commit} {rest.split()[1]}")
    assert {a: len(p) for a, p in pins.items() if len(p) > 1} == {}, "one action, one pinned commit everywhere"
    assert "pulumi/actions" in pins and "google-github-actions/auth" in pins


def test_no_pull_request_target_trigger():
    for f in FILES:
        assert "pull_request_target" not in triggers(load(f.name)), f.name
        assert "pull_request_target" not in f.read_text(), f.name


def test_every_job_has_explicit_least_permissions():
    for f in FILES:
        assert load(f.name)["permissions"] == {}, f"{f.name}: the workflow grants nothing by default"
    for file, name, job in all_jobs():
        granted = job.get("permissions")
        assert isinstance(granted, dict) and granted, f"{file}/{name} sets its own permissions"
        assert granted.get("contents", "read") == "read", f"{file}/{name}"
        allowed = {"contents": "read"}
        if uses(job, "google-github-actions/auth"):
            allowed["id-token"] = "write"
        previews = [s for s in uses(job, "pulumi/actions") if s["with"].get("comment-on-pr") is True]
        if previews or file == "offline-plan-comment.yml":
            allowed["pull-requests"] = "write"
        if any("run-id" in s["with"] for s in uses(job, "actions/download-artifact")):
            allowed["actions"] = "read"
        extra = {k: v for k, v in granted.items() if allowed.get(k) != v}
        assert extra == {}, f"{file}/{name} grants more than it needs"


def test_python_is_3_11_everywhere():
    setups = [s for _, _, job in all_jobs() for s in uses(job, "actions/setup-python")]
    assert setups and all(s["with"]["python-version"] == "3.11" for s in setups)


def test_tests_and_the_scan_run_on_pull_requests_and_before_deploying():
    jobs = load("tests.yml")["jobs"]
    assert set(jobs) == {"test", "scan"}
    assert "workflow_call" in triggers(load("tests.yml"))
    assert [s["run"] for s in steps(jobs["test"]) if s.get("run") == "make test"]
    assert [s["run"] for s in steps(jobs["scan"]) if "run" in s] == ["make scan"]
    for name in ("pull-request.yml", "deploy.yml"):
        assert load(name)["jobs"]["test"]["uses"] == "./.github/workflows/tests.yml"


def test_the_tests_need_nothing_beside_the_checkout():
    """tests.yml checks out, installs Python and runs `make test`: no download of what the tests read."""
    jobs = load("tests.yml")["jobs"]
    assert [s["run"] for s in steps(jobs["test"]) if "run" in s] == ["make test"]
    for job in jobs.values():
        actions = [s["uses"].split("@")[0] for s in steps(job) if "uses" in s]
        assert actions == ["actions/checkout", "actions/setup-python"]


def test_the_stack_list_is_every_stack_file(tmp_path):
    pr = load("pull-request.yml")
    (script,) = [s["run"] for s in steps(pr["jobs"]["stacks"]) if s.get("id") == "list"]
    code, _, outputs = run_script(script, {}, tmp_path)
    assert code == 0
    assert outputs["stacks"] == "[" + ",".join(f'"{s}"' for s in STACKS) + "]"
    assert outputs["cloud"] == "[" + ",".join(f'"{s}"' for s in CLOUD_STACKS) + "]"
    assert "istio" in STACKS and "istio" not in CLOUD_STACKS  # its cluster is on a laptop, not in the cloud
    for job, listed in (("offline-plan", "stacks"), ("preview", "cloud")):
        assert pr["jobs"][job]["strategy"]["matrix"]["stack"] == f"${{{{ fromJSON(needs.stacks.outputs.{listed}) }}}}"
        assert "stacks" in pr["jobs"][job]["needs"]


def test_the_stack_list_refuses_a_name_that_is_not_a_plain_word(tmp_path):
    (script,) = [s["run"] for s in steps(load("pull-request.yml")["jobs"]["stacks"]) if s.get("id") == "list"]
    (tmp_path / "Pulumi.dev.yaml").write_text("")
    (tmp_path / "Pulumi.$(id).yaml").write_text("")
    code, printed, _ = run_script(script, {}, tmp_path, cwd=tmp_path)
    assert code == 1 and "::error file=Pulumi.$(id).yaml::" in printed


def test_the_offline_plan_needs_no_credentials_and_diffs_against_the_base():
    job = load("pull-request.yml")["jobs"]["offline-plan"]
    assert job["permissions"] == {"contents": "read"}
    text = yaml.safe_dump(job)
    assert "secrets." not in text and "vars." not in text
    script = "\n".join(s.get("run", "") for s in steps(job))
    assert 'git worktree add --detach "$RUNNER_TEMP/base" HEAD^1' in script
    assert '-m tools.plan "$STACK" --out "$plans/base"' in script
    assert '-m tools.plan "$STACK" --diff "$plans/base" --out "$plans/head"' in script
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "offline-plan-${{ matrix.stack }}"
    assert upload["if"] == "${{ !cancelled() }}"  # a failing plan is reported too


def test_the_previews_are_skipped_with_a_message_without_credentials(tmp_path):
    job = load("pull-request.yml")["jobs"]["preview"]
    gate, *rest = steps(job)
    assert gate["id"] == "gate" and all(s.get("if") == ENABLED for s in rest)
    ready = {
        "STACK": "dev",
        "GITHUB_REPOSITORY": "org/repo",
        "HEAD_REPO": "org/repo",
        "WIF_PROVIDER": "projects/1/locations/global/workloadIdentityPools/github/providers/repo",
        "SERVICE_ACCOUNT": "preview@p.iam.gserviceaccount.com",
        "BACKEND_URL": "gs://state",
        "SECRETS_PROVIDER": "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k",
        "HAS_PASSPHRASE": "false",
    }
    assert run_script(gate["run"], ready, tmp_path)[2] == {"enabled": "true"}
    for change, reason in [
        ({"HEAD_REPO": "someone/fork"}, "comes from a fork"),
        ({"WIF_PROVIDER": ""}, "GCP_WORKLOAD_IDENTITY_PROVIDER is not set"),
        ({"SERVICE_ACCOUNT": ""}, "GCP_SERVICE_ACCOUNT is not set"),
        ({"BACKEND_URL": ""}, "PULUMI_BACKEND_URL is not set"),
        ({"SECRETS_PROVIDER": "passphrase"}, "PULUMI_CONFIG_PASSPHRASE is not set"),
    ]:
        code, printed, outputs = run_script(gate["run"], ready | change, tmp_path)
        assert (code, outputs) == (0, {"enabled": "false"}), change
        assert "::notice title=pulumi preview of dev skipped::" in printed and reason in printed
        assert "### pulumi preview of `dev` skipped" in printed  # the step summary
    assert run_script(gate["run"], ready | {"SECRETS_PROVIDER": "passphrase", "HAS_PASSPHRASE": "true"}, tmp_path)[
        2
    ] == {"enabled": "true"}
    env = gate["env"]
    assert env["HEAD_REPO"] == "${{ github.event.pull_request.head.repo.full_name }}"
    assert env["WIF_PROVIDER"] == "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
    assert env["BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_the_previews_run_pulumi_preview_through_the_official_action():
    job = load("pull-request.yml")["jobs"]["preview"]
    assert job["permissions"]["id-token"] == "write"
    assert set(job["needs"]) == {"stacks", "test"}
    (auth,) = uses(job, "google-github-actions/auth")
    assert auth["with"] == {
        "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
        "service_account": "${{ vars.GCP_SERVICE_ACCOUNT }}",
    }
    (preview,) = uses(job, "pulumi/actions")
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["stack-name"] == "${{ matrix.stack }}"
    assert preview["with"]["diff"] is True and preview["with"]["comment-on-pr"] is True
    assert preview["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert preview["with"]["policyPacks"] == "policy" and (engine.ROOT / "policy" / "PulumiPolicy.yaml").is_file()
    assert str(preview["with"]["pulumi-version"]) == PULUMI_VERSION
    # Its own group per stack and pull request: sharing pulumi-<stack> would let a pending preview replace
    # (cancel) a pending deployment. A running Pulumi process is never cancelled.
    group = job["concurrency"]["group"]
    assert group.startswith("pulumi-${{ matrix.stack }}-preview-") and job["concurrency"]["cancel-in-progress"] is False


def test_the_comment_workflow_never_runs_pull_request_code():
    doc = load("offline-plan-comment.yml")
    assert triggers(doc) == {"workflow_run": {"workflows": [load("pull-request.yml")["name"]], "types": ["completed"]}}
    (job,) = doc["jobs"].values()
    assert [s["uses"].split("@")[0] for s in steps(job)] == ["actions/download-artifact", "actions/github-script"]
    assert not any("run" in s for s in steps(job))
    download, script = steps(job)
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    code = script["with"]["script"]
    # No process or code is started, and no number is read out of the artifacts.
    for forbidden in ("child_process", "exec.exec", "getExecOutput", "eval(", "new Function", "parseInt", "Number("):
        assert forbidden not in code, forbidden
    # The pull request comes from the event payload; a stack name must look like one; one marker per stack.
    assert "run.pull_requests" in code and "p.head.sha === run.head_sha" in code
    assert "/^offline-plan-([a-z0-9][a-z0-9-]{0,62})$/" in code
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", s) for s in STACKS)
    assert "const marker = `<!-- offline-plan:${stack} -->`;" in code
    assert ".startsWith(marker)" in code and "updateComment" in code


def test_deploy_runs_dev_then_plans_and_applies_prod_one_update_per_stack_at_a_time():
    doc = load("deploy.yml")
    assert triggers(doc) == {"push": {"branches": ["main"]}}
    jobs = doc["jobs"]
    deploys = {name: job for name, job in jobs.items() if "environment" in job}
    assert sorted(deploys) == CLOUD_STACKS  # a job per stack file in the cloud
    assert set(jobs) == {"test", *CLOUD_STACKS, "prod-plan"}
    assert (
        jobs["dev"]["needs"] == "test" and jobs["prod-plan"]["needs"] == "dev" and jobs["prod"]["needs"] == "prod-plan"
    )
    # The plan is taken with the repository-level (read-only) identity and needs no approval; it holds prod's
    # group, so it is never taken while prod is being updated.
    assert "environment" not in jobs["prod-plan"]
    for stack, job in [*deploys.items(), ("prod", jobs["prod-plan"])]:
        assert job.get("environment", stack) == stack
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        (pulumi,) = uses(job, "pulumi/actions")
        assert pulumi["with"]["stack-name"] == stack
        assert str(pulumi["with"]["pulumi-version"]) == PULUMI_VERSION
        assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
        assert pulumi["with"]["policyPacks"] == "policy" and pulumi["with"]["refresh"] is True
        assert len(uses(job, "google-github-actions/auth")) == 1
    commands = {name: uses(jobs[name], "pulumi/actions")[0]["with"] for name in ("dev", "prod-plan", "prod")}
    assert commands["dev"]["command"] == "up" and "plan" not in commands["dev"]
    assert (commands["prod-plan"]["command"], commands["prod-plan"]["plan"]) == ("preview", "plan.json")
    assert (commands["prod"]["command"], commands["prod"]["plan"]) == ("up", "plan.json")
    assert commands["prod-plan"]["comment-on-summary"] is True  # the preview the reviewer approves
    # Apart from that, and prod's Hugging Face token (from the secret, as a secret, checked first), the three
    # jobs run the same steps: dev's `pulumi up` is prod's, with the plan saved in between.
    assert normalized(jobs["dev"], "dev") == normalized(jobs["prod-plan"], "prod") == normalized(jobs["prod"], "prod")


PLAN_STEPS = {"Record the plan's digest", "Check that the plan is the one reviewed"}


def normalized(job: dict, stack: str) -> str:
    """A deployment job's steps without what tells dev, the plan and the update apart."""
    kept = []
    for step in steps(job):
        step = yaml.safe_load(yaml.safe_dump(step))
        if step.get("name") in PLAN_STEPS or step.get("uses", "").split("@")[0].endswith("-artifact"):
            continue
        if step.get("uses", "").startswith("pulumi/actions@"):
            step.pop("name")
            for key in ("command", "plan"):
                step["with"].pop(key, None)
            if stack == "prod":
                assert step["with"].pop("config-map") == "{hfToken: {value: ${{ secrets.HF_TOKEN }}, secret: true}}"
        if stack == "prod" and step.get("name") == "Check the deployment settings":
            assert step["env"].pop("HF_TOKEN_SET") == "${{ secrets.HF_TOKEN != '' && 'yes' || '' }}"
            assert " HF_TOKEN_SET" in step["run"]
            step["run"] = step["run"].replace(" HF_TOKEN_SET", "")
        kept.append(step)
    return yaml.safe_dump(kept).replace(stack, "STACK")


def test_prod_applies_exactly_the_saved_plan(tmp_path):
    jobs = load("deploy.yml")["jobs"]
    plan, prod = steps(jobs["prod-plan"]), steps(jobs["prod"])
    names = [s.get("name") or s["uses"].split("@")[0] for s in plan]
    assert names[-3:] == ["pulumi preview --save-plan", "Record the plan's digest", "actions/upload-artifact"]
    (upload,) = uses(jobs["prod-plan"], "actions/upload-artifact")
    assert upload["with"] == {
        "name": "prod-plan",
        "path": "plan.json",
        "if-no-files-found": "error",
        "overwrite": True,  # "Re-run all jobs" plans again under the same name
        "retention-days": 30,  # a deployment may wait 30 days for its approval
    }
    assert jobs["prod-plan"]["outputs"] == {"plan-sha256": "${{ steps.digest.outputs.sha256 }}"}
    names = [s.get("name") or s["uses"].split("@")[0] for s in prod]
    assert names[-3:] == ["actions/download-artifact", "Check that the plan is the one reviewed", "pulumi up --plan"]
    (download,) = uses(jobs["prod"], "actions/download-artifact")
    assert download["with"] == {"name": "prod-plan"}  # this run's own artifact: no run-id, no actions: read
    # The digest recorded with the plan is checked before the update: a plan other than the reviewed one stops.
    digest = next(s for s in plan if s.get("id") == "digest")
    check = next(s for s in prod if s.get("name") == "Check that the plan is the one reviewed")
    assert check["env"] == {"PLAN_SHA256": "${{ needs.prod-plan.outputs.plan-sha256 }}"}
    (tmp_path / "plan.json").write_text('{"resourcePlans": {}}')
    code, printed, outputs = run_script(digest["run"], {}, tmp_path, cwd=tmp_path)
    assert code == 0 and re.fullmatch(r"[0-9a-f]{64}", outputs["sha256"]) and outputs["sha256"] in printed
    assert run_script(check["run"], {"PLAN_SHA256": outputs["sha256"]}, tmp_path, cwd=tmp_path)[0] == 0
    (tmp_path / "plan.json").write_text('{"resourcePlans": {"urn": {}}}')
    assert run_script(check["run"], {"PLAN_SHA256": outputs["sha256"]}, tmp_path, cwd=tmp_path)[0] != 0


def test_previews_and_deployments_refresh_and_every_cli_is_the_sdks_version():
    steps_ = [(f, name, s) for f, name, job in all_jobs() for s in uses(job, "pulumi/actions")]
    assert steps_
    for file, name, step in steps_:
        assert str(step["with"]["pulumi-version"]) == PULUMI_VERSION, f"{file}/{name}"
        if step["with"].get("command") in ("up", "preview"):
            assert step["with"]["refresh"] is True, f"{file}/{name}"
        else:
            assert "command" not in step["with"], f"{file}/{name}: the CLI only, for a run step"


def test_drift_is_checked_daily_per_stack_without_writing_the_state():
    doc = load("drift.yml")
    assert set(triggers(doc)) == {"schedule", "workflow_dispatch"} and triggers(doc)["schedule"][0]["cron"]
    (job,) = doc["jobs"].values()
    assert job["strategy"]["matrix"]["stack"] == CLOUD_STACKS
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["concurrency"] == {"group": "pulumi-${{ matrix.stack }}-drift", "cancel-in-progress": False}
    gate, *rest = steps(job)
    assert gate["id"] == "gate" and all(s.get("if") == ENABLED for s in rest)
    (auth,) = uses(job, "google-github-actions/auth")
    assert auth["with"]["service_account"] == "${{ vars.GCP_SERVICE_ACCOUNT }}"  # the read-only identity
    refresh = rest[-1]
    assert refresh["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    command = re.search(r"^\s*pulumi refresh .*(?:\n.*)?$", refresh["run"], re.M).group(0)
    assert '--stack "$STACK" --preview-only --expect-no-changes' in command and " --yes" not in command


def test_drift_is_reported_in_the_job_summary_and_fails_the_job(tmp_path):
    (refresh,) = [s for s in steps(load("drift.yml")["jobs"]["drift"]) if s.get("id") == "refresh"]
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    fake = bin_ / "pulumi"  # prints what the CLI prints, exits as it does
    fake.write_text('#!/bin/sh\necho "$@"\necho "$FAKE_OUTPUT"\nexit "$FAKE_STATUS"\n')
    fake.chmod(0o755)
    env = {"STACK": "prod", "RUNNER_TEMP": str(tmp_path), "PATH": f"{bin_}:{os.environ['PATH']}"}
    code, printed, _ = run_script(
        refresh["run"], env | {"FAKE_OUTPUT": "Resources: 165 unchanged", "FAKE_STATUS": "0"}, tmp_path
    )
    assert code == 0 and "### No drift in `prod`" in printed
    assert "refresh --stack prod --preview-only --expect-no-changes --diff --non-interactive" in printed
    drifted = (
        "~ gcp:container:NodePool tpu-v6e-pool refresh [diff: ~nodeCount]\n"
        "error: no changes were expected for refresh but changes were proposed"
    )
    code, printed, _ = run_script(refresh["run"], env | {"FAKE_OUTPUT": drifted, "FAKE_STATUS": "7"}, tmp_path)
    assert code == 7 and "### Drift in `prod`: the cloud differs from the state" in printed
    assert "::error title=Drift in prod::" in printed and "[diff: ~nodeCount]" in printed
    code, printed, _ = run_script(
        refresh["run"], env | {"FAKE_OUTPUT": "error: getting credentials", "FAKE_STATUS": "1"}, tmp_path
    )
    assert code == 1 and "### The drift check of `prod` failed" in printed


def test_the_drift_check_is_skipped_with_a_message_without_credentials(tmp_path):
    (gate,) = [s for s in steps(load("drift.yml")["jobs"]["drift"]) if s.get("id") == "gate"]
    ready = {
        "STACK": "prod",
        "WIF_PROVIDER": "projects/1/locations/global/workloadIdentityPools/github/providers/repo",
        "SERVICE_ACCOUNT": "preview@p.iam.gserviceaccount.com",
        "BACKEND_URL": "gs://state",
        "SECRETS_PROVIDER": "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k",
        "HAS_PASSPHRASE": "false",
    }
    assert run_script(gate["run"], ready, tmp_path)[2] == {"enabled": "true"}
    code, printed, outputs = run_script(gate["run"], ready | {"BACKEND_URL": ""}, tmp_path)
    assert (code, outputs) == (0, {"enabled": "false"})
    assert "::notice title=drift check of prod skipped::repository variable PULUMI_BACKEND_URL is not set" in printed
    assert "### Drift check of `prod` skipped" in printed


def test_the_end_to_end_run_is_manual_in_a_disposable_project_with_its_own_state(tmp_path):
    doc = load("e2e.yml")
    assert list(triggers(doc)) == ["workflow_dispatch"]
    assert triggers(doc)["workflow_dispatch"]["inputs"]["project"]["required"] is True
    (job,) = doc["jobs"].values()
    assert job["environment"] == "e2e" and job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["concurrency"] == {"group": "pulumi-e2e", "cancel-in-progress": False}
    run = steps(job)[-1]
    assert (
        run["run"] == 'venv/bin/python -m tools.e2e --project "$PROJECT" --stack dev --summary "$GITHUB_STEP_SUMMARY"'
    )
    # Never the real stacks' state: the e2e stack `dev` lives under a path of its own in the backend.
    assert run["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}/e2e"
    assert run["env"]["PROJECT"] == "${{ inputs.project }}" and "${{" not in run["run"]
    (cli,) = uses(job, "pulumi/actions")
    assert list(cli["with"]) == ["pulumi-version"]  # the CLI only: the Automation API drives it
    check = steps(job)[0]
    ready = {"PROJECT": "e2e-scratch-1", "WIF_PROVIDER": "w", "SERVICE_ACCOUNT": "s", "BACKEND_URL": "gs://b"}
    assert run_script(check["run"], ready, tmp_path)[0] == 0
    for bad in ("", "x", "E2E", "e2e;rm -rf", "e2e-"):
        code, printed, _ = run_script(check["run"], ready | {"PROJECT": bad}, tmp_path)
        assert code == 1 and "project must be a Google Cloud project ID" in printed, bad
    assert run_script(check["run"], ready | {"BACKEND_URL": ""}, tmp_path)[0] == 1


def test_the_readme_names_every_variable_and_secret():
    readme = (engine.ROOT / "README.md").read_text()
    section = (engine.ROOT / "docs" / "workflows.md").read_text()
    assert "docs/workflows.md" in readme.split("## Pull requests and deployment", 1)[1].split("\n## ", 1)[0]
    names = {m for f in FILES for m in re.findall(r"\b(?:vars|secrets)\.([A-Z][A-Z0-9_]+)", f.read_text())}
    assert names == {
        "GCP_WORKLOAD_IDENTITY_PROVIDER",
        "GCP_SERVICE_ACCOUNT",
        "PULUMI_BACKEND_URL",
        "PULUMI_SECRETS_PROVIDER",
        "PULUMI_CONFIG_PASSPHRASE",
        "HF_TOKEN",
        "DEPLOY_GUARDED",  # opts the guarded stack into deploy.yml and drift.yml
    }
    assert all(f"`{name}`" in section for name in names)
    assert readme.index("## Pull requests and deployment") < readme.index("## Tests and benchmarks")


def test_the_readme_names_every_workflow_and_environment():
    readme = (engine.ROOT / "README.md").read_text()
    section = (engine.ROOT / "docs" / "workflows.md").read_text()
    assert all(f"`{f.name}`" in section for f in FILES)
    environments = {job["environment"] for _, _, job in all_jobs() if "environment" in job}
    assert environments == {*CLOUD_STACKS, "e2e"}
    assert all(f"`{name}`" in section for name in environments)
    assert "docs/operations.md" in readme
