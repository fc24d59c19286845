"""Garbage in, one clear error out: no stack file, however malformed, makes `make plan`
(`python -m tools.plan <stack>`) print a Python traceback. It exits 2 with an `error:` line that names
the file and what is wrong (a file the CLI cannot read) or the key, the value and the fix (a config the
program refuses), and nothing is planned."""

from __future__ import annotations

import copy
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from inference.configuration import stack as config
from tests.configuration.test_config import stack_settings
from tests.configuration.test_project import all_keys
from tools import engine, plan, stack_file
from tools.stack_file import stack_config

STACK = "garbage"
PROD_TEXT = (engine.ROOT / "Pulumi.prod.yaml").read_text()
MIGRATION_TEXT = (engine.ROOT / "Pulumi.migration.yaml").read_text()
PROD = stack_settings("prod")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project whose stack files the tests write (the program and its virtualenv, which runs the
    charts' post-renderer, are linked in)."""
    root = tmp_path_factory.mktemp("project")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(engine.ROOT / name, root / name)
    for name in ("inference", "components", "venv"):
        (root / name).symlink_to(engine.ROOT / name)
    return root


@pytest.fixture
def plan_garbage(project, monkeypatch, capsys):
    """Writes Pulumi.garbage.yaml and runs the plan command on it: (exit code, what it printed to stderr)."""
    monkeypatch.setattr(engine, "ROOT", project)
    monkeypatch.setattr(stack_file, "ROOT", project)

    def run(content: str | bytes) -> tuple[int, str]:
        path = project / f"Pulumi.{STACK}.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        code = plan.main([STACK, "--out", str(project / "out")])  # an exception here is the traceback
        return code, capsys.readouterr().err

    return run


def refused(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("error: "), err
    assert "Traceback" not in err


# Files the CLI cannot read, or whose keys would do nothing: (file, what the error must say).
MALFORMED = [
    ("config: [\n", "Pulumi.garbage.yaml: is not valid YAML"),
    ("config:\n\tinference-platform:project: x\n", "is not valid YAML"),
    ("config:\n  inference-platform:project: 'unclosed\n", "is not valid YAML"),
    ("- config\n- of a list\n", "the top level must be a mapping with a config: section, not a list"),
    ("just some text\n", "the top level must be a mapping with a config: section, not the text 'just some text'"),
    ("config: 5\n", "config: must be a mapping of namespace:key: value, not text"),
    ("config:\n  - inference-platform:project\n", "config: must be a mapping of namespace:key: value, not a list"),
    ("inference-platform:project: tpu-inference-prod\n", "'inference-platform:project' sits at the top level"),
    (
        "config:\n  inference-platform:project: tpu-inference-prod\ninference-platform:regions:\n  - name: us-east5\n",
        "line 3: 'inference-platform:regions' sits at the top level, outside config:, so nothing reads it; "
        "indent it under config:",
    ),
    ("confg:\n  inference-platform:project: x\n", "'confg' is not a stack file key"),
    ("config:\n  inference-platform:a:b: x\n", "could not parse inference-platform:a:b as a configuration key"),
    # a bare key is the project's (Pulumi's rule): `true` is then an unknown key of the program
    ("config:\n  inference-platform:project: tpu-inference-dev\n  true: x\n", 'true: "x" — is not a known key'),
    ("config:\n  ? [a, b]\n  : c\n", "a mapping key is a list or a mapping at line 2"),
    (
        "config:\n  inference-platform:project: a\n  inference-platform:project: b\n",
        "mapping key 'inference-platform:project' already defined at line 2",
    ),
    ("config: {}\nconfig: {}\n", "mapping key 'config' already defined at line 1"),
    (b"config:\n  inference-platform:project: \xff\xfe\n", "Pulumi.garbage.yaml: is not UTF-8 text"),
    ("config:\n  inference-platform:project: a\x00b\n", "is not valid YAML: it holds the control character #x00"),
    ("config: !!python/object:os.system {}\n", "is not valid YAML"),
    (
        "config:\n  inference-platform:labels:\n    a: !!binary aGVsbG8=\n",
        "the value of inference-platform:labels is not plain data",
    ),
    ("config:\n  inference-platform:labels: !!set {a, b}\n", "is not plain data"),
    ("config:\n  inference-platform:labels: &a [*a]\n", "is not valid YAML: found unconstructable recursive node"),
    ("config:\n  inference-platform:labels: " + "[" * 3000 + "]" * 3000 + "\n", "nests deeper than 64 levels"),
    ("---\nconfig: {}\n---\nconfig: {}\n", "is not valid YAML"),
    ("%YAML 9.9\n---\nconfig: {}\n", "is not valid YAML"),
    ("", "project: (not set) — is required — run `pulumi config set project <your-project-id>`"),
    ("config:\n", "project: (not set) — is required — run `pulumi config set project <your-project-id>`"),
    # A YAML null is what Pulumi hands the program for it, the empty string; the message says so.
    (
        PROD_TEXT.replace("inference-platform:configRegion: us-east5", "inference-platform:configRegion:"),
        'configRegion: "" — is empty (a YAML null or "" in the stack file)',
    ),
    # YAML 1.2, as the CLI reads it: `yes` is text, not true, and a date stays text.
    (PROD_TEXT.replace("spot: false", "spot: no"), 'accelerator.spot: "no" — must be true or false'),
    (
        PROD_TEXT.replace("nodesPerPool: 1", "nodesPerPool: 2026-11-25"),
        'accelerator.nodesPerPool: "2026-11-25" — must be a whole number',
    ),
    (
        PROD_TEXT.replace("inference-platform:project:", "inference_platform:project:"),
        "project: (not set) — is required — run `pulumi config set project <your-project-id>`",
    ),
    (
        PROD_TEXT + "  inference_platform:labels:\n    team: ml\n",
        'inference_platform:labels: {"team": "ml"} — is in namespace \'inference_platform\'',
    ),
    # Names Helm would refuse, or a chart would break on, are refused before anything reaches Helm.
    (
        MIGRATION_TEXT.replace("poolName: vllm-llama3-8b-instruct-preview", "poolName: " + "l" * 60),
        'migration.legacy.poolName: "' + "l" * 60 + '" — Helm release name',
    ),
    (
        MIGRATION_TEXT.replace("name: vllm-llama3-8b-instruct-ga", "name: " + "p" * 40).replace(
            "namespace: inference", "namespace: " + "n" * 40
        ),
        'inferencePool.name: "' + "p" * 40 + '" — in modelServer.namespace',
    ),
    # A credential written into the file is refused, and not repeated.
    (
        PROD_TEXT + '  gcp:credentials: \'{"private_key": "k"}\'\n',
        'gcp:credentials: "[not shown]" — is stored in plain',
    ),
]


@pytest.mark.parametrize(("content", "message"), MALFORMED, ids=[f"malformed-{i}" for i in range(len(MALFORMED))])
def test_a_malformed_stack_file_gets_one_clear_error(plan_garbage, content, message):
    code, err = plan_garbage(content)
    refused(code, err)
    assert message in err
    assert "private_key" not in err


def _mutations(count: int, seed: int = 10) -> list[str]:
    """Random damage to the prod stack file's config: characters YAML gives meaning to, stray bytes,
    lines lost, doubled or moved."""
    rng = random.Random(seed)
    lines = PROD_TEXT.splitlines(keepends=True)
    body = [i for i, line in enumerate(lines) if not line.lstrip().startswith("#") and line.strip()]
    noise = ["\t", ":", ": ", "-", "- ", "[", "{", "}", "'", '"', "&", "*", "!", "%", "|", ">", "@", "`", "é", "\x07"]
    damaged = []
    for _ in range(count):
        text = list(lines)
        i = rng.choice(body)
        op = rng.randrange(5)
        if op == 0:
            col = rng.randrange(len(text[i]))
            text[i] = text[i][:col] + rng.choice(noise) + text[i][col:]
        elif op == 1:
            text[i] = text[i].lstrip() if text[i].startswith(" ") else "   " + text[i]
        elif op == 2:
            text.insert(i, text[i])
        elif op == 3:
            del text[i]
            text[i - 1] = text[i - 1].rstrip("\n") + rng.choice(noise) + "\n"
        else:
            cut = rng.randrange(len("".join(text)))
            text = ["".join(text)[:cut] + rng.choice(noise)]
        damaged.append("".join(text))
    return damaged


def test_a_randomly_damaged_stack_file_gets_one_clear_error(plan_garbage):
    """Damage that lands in a trailing comment, or yields another valid file, plans; everything else is
    refused with one `error:` line; nothing prints a traceback."""
    refusals = 0
    for content in _mutations(40):
        code, err = plan_garbage(content)
        assert "Traceback" not in err
        if code != 0:
            refused(code, err)
            refusals += 1
    assert refusals >= 30


GARBAGE = [
    None,
    [],
    {},
    [1, [2, None]],
    {"a": {"b": None}},
    10**20,
    True,
    -1,
    1.5,
    "",
    "\n",
    "üñïçødé",
    "𝟘𝟙𝟚",
    "x" * 5000,
    " padded ",
    "null",
]
EXTRA_PATHS = ["inferencePool.endpointPicker.cpuRequest", "inferencePool.endpointPicker.memoryRequest", "hfToken"]
PATHS = sorted(set(all_keys()) | set(EXTRA_PATHS))  # every key the program reads
DECLARED_STRINGS = {
    k
    for k, d in yaml.safe_load((engine.ROOT / "Pulumi.yaml").read_text())["config"].items()
    if d.get("type") == "string"
}


def _set(data: dict, path: str, value) -> None:
    parts = path.replace("[]", ".0").split(".")
    node = data
    for part in parts[:-1]:
        key = int(part) if part.isdigit() else part
        if isinstance(node, list):
            node = node[key]
            continue
        if not isinstance(node.get(key), (dict, list)):
            node[key] = {}
        node = node[key]
    node[parts[-1]] = value


def _wrong_types() -> list[tuple[str, object]]:
    """Every key path the program reads, each with a share of the garbage values in turn."""
    return [(path, GARBAGE[(i * 5 + j) % len(GARBAGE)]) for i, path in enumerate(PATHS) for j in range(5)]


def test_wrong_types_at_every_key_path_get_one_clear_error(plan_garbage):
    base = copy.deepcopy(PROD)
    base.pop("hfToken")  # the operator's secret is not in the file
    refused_count = 0
    for path, value in _wrong_types():
        data = copy.deepcopy(base)
        _set(data, path, value)
        try:  # a value the program accepts (a boolean where one is meant) plans: not garbage
            config.parse(data | {"hfToken": "set-outside-the-file"}, STACK)
            continue
        except config.ConfigError:
            pass
        document = {"config": {f"inference-platform:{k}": v for k, v in data.items()}}
        text = yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True)  # libyaml: the same text, faster
        code, err = plan_garbage(text)
        if code == 0:
            # The CLI hands a declared string key's YAML scalar over as its text (`prefix: true` is the
            # prefix "true"), which the program may accept where a parsed YAML value was refused.
            assert path in DECLARED_STRINGS and not isinstance(value, (list, dict)), (path, value)
            continue
        refused(code, err)
        refused_count += 1
    assert refused_count > 250


def test_a_missing_stack_file_lists_the_stacks_there(capsys):
    assert plan.main(["prdo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no stack file Pulumi.prdo.yaml in ")
    stacks = err.split("the stacks here are: ")[1].strip().split(", ")
    assert {"dev", "prod"} <= set(stacks)


def test_the_command_itself_prints_no_traceback(project):
    """The real process, end to end: `python -m tools.plan` on a broken file exits 2 with one error line."""
    (project / "Pulumi.broken.yaml").write_text("config:\n  inference-platform:project: [unclosed\n")
    script = (
        "import sys; from pathlib import Path; from tools import engine, plan; "
        f"engine.ROOT = Path({str(project)!r}); sys.exit(plan.main(['broken']))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=engine.ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: Pulumi.broken.yaml: is not valid YAML")
    assert "Traceback" not in done.stderr + done.stdout


def test_a_key_without_a_namespace_belongs_to_the_project(tmp_path):
    """Pulumi files `project: x` under the project's namespace (loaders.go stackConfigNamespacedWithProject)."""
    (tmp_path / "Pulumi.yaml").write_text((engine.ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.bare.yaml").write_text("config:\n  project: tpu-inference-dev\n  servingPort: 9000\n")
    values, _, _ = stack_config("bare", root=tmp_path)
    assert values["inference-platform:project"] == "tpu-inference-dev"
    assert values["inference-platform:servingPort"] == "9000"
