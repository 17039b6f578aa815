"""CONT001-CONT007 and OPS003: the service ships as a pinned, unprivileged, healthy, lean image,
and its deployment manifests set probes and limits."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent

import pytest

from prodcheck.commands.audit import audit_path
from prodcheck.findings import Finding, Severity
from tests.helpers import audit_tree, build_tree, run_rule

Files = dict[str, str | bytes]

SERVICE = """\
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE} AS build
COPY requirements.lock .
RUN pip install --no-cache-dir --prefix=/install -r requirements.lock
COPY src/ src/
RUN pip install --no-cache-dir --no-deps --prefix=/install .

FROM ${BASE_IMAGE}
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 app
USER 10001
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://localhost:8000/healthz')"
CMD ["uvicorn", "churn.service.app:app", "--host", "0.0.0.0", "--port", "8000"]
"""
"""A Dockerfile every container rule passes, as the template writes it."""

PLAIN = 'FROM python:3.11-slim\nUSER 10001\nCMD ["python", "-m", "churn.serve"]\n'
"""Pinned and non-root, but no HEALTHCHECK."""

DOCKERIGNORE = """\
.git
.env
data/
*.csv
notebooks/
*.ipynb
mlruns/
wandb/
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn-api
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/churn-api:1.4.0
          livenessProbe:
            httpGet: {path: /healthz, port: 8000}
          readinessProbe:
            httpGet: {path: /readyz, port: 8000}
          resources:
            requests: {cpu: 500m, memory: 1Gi}
            limits: {memory: 2Gi}
"""
SERVICE_MANIFEST = "apiVersion: v1\nkind: Service\nmetadata:\n  name: churn-api\n"

HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "churn.fullname" . }}
  labels:
    {{- include "churn.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          livenessProbe:
            {{- toYaml .Values.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml .Values.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
"""
HELM_VALUES = """\
image:
  repository: ghcr.io/acme/churn-api
  tag: "1.4.0"
livenessProbe:
  httpGet: {path: /healthz, port: http}
readinessProbe:
  httpGet: {path: /readyz, port: http}
resources:
  limits:
    memory: 2Gi
"""
CHART = {"deploy/chart/Chart.yaml": "apiVersion: v2\nname: churn\nversion: 0.1.0\n"}

COMPOSE = """\
services:
  api:
    build: .
    ports: ["8000:8000"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/healthz"]
    deploy:
      resources:
        limits:
          memory: 2g
"""


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def line_of(files: Mapping[str, str | bytes], finding: Finding) -> str:
    """The source line a finding points at."""
    assert finding.path is not None and finding.line is not None, finding
    text = files[finding.path]
    assert isinstance(text, str)
    return text.splitlines()[finding.line - 1]


def dockerfile(*lines: str) -> Files:
    return {"Dockerfile": "\n".join(lines) + "\n"}


# -- which files are Dockerfiles -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "Dockerfile",
        "Containerfile",
        "dockerfile",
        "Dockerfile.prod",
        "api.Dockerfile",
        "docker/serve.dockerfile",
        "services/api/Dockerfile",
        "services/api/Containerfile.gpu",
    ],
)
def test_dockerfiles_are_found_by_name_anywhere(tmp_path: Path, path: str) -> None:
    finding = only(run_rule("CONT002", tmp_path, {path: "FROM python\n"}))
    assert finding.path == path


@pytest.mark.parametrize(
    "path",
    [
        ".devcontainer/Dockerfile",
        ".gitpod.Dockerfile",
        "Dockerfile.dev",
        "docker/ci.Dockerfile",
        "Dockerfile.local-test",
        "tests/fixtures/Dockerfile",
        "docs/examples/Dockerfile",
        "template/Dockerfile.jinja",
        "Dockerfile.j2",
        "Dockerfile.dockerignore",
        "Dockerfile.md",
        "tools/dockerfile.py",
    ],
)
def test_dev_containers_fixtures_templates_and_look_alikes_are_not_judged(
    tmp_path: Path, path: str
) -> None:
    assert run_rule("CONT002", tmp_path, {path: "FROM python\n"}) == []


# -- CONT001: a Dockerfile builds the service ------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {"Dockerfile": SERVICE},
        {"Containerfile": SERVICE},
        {"services/api/Dockerfile": SERVICE, "services/web/package.json": "{}"},
        {"docker/Dockerfile.prod": SERVICE},
        {"bentofile.yaml": "service: 'service:Churn'\ninclude: ['*.py']\n"},
        {"cog.yaml": "build:\n  python_version: '3.11'\npredict: 'predict.py:Predictor'\n"},
    ],
    ids=["root", "containerfile", "monorepo", "dockerfile-prod", "bentoml", "cog"],
)
def test_an_image_build_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("CONT001", tmp_path, files) == []


def test_a_repository_without_a_dockerfile_fails(tmp_path: Path) -> None:
    files = {"notebooks/churn.ipynb": "{}", "README.md": "# Churn\n"}
    finding = only(run_rule("CONT001", tmp_path, files))
    assert finding.message.startswith("no `Dockerfile` or `Containerfile` builds the model service")
    assert finding.path is None
    assert finding.severity is Severity.ERROR


@pytest.mark.parametrize(
    "path", [".devcontainer/Dockerfile", ".devcontainer/api/Dockerfile", ".gitpod.Dockerfile"]
)
def test_a_dev_container_alone_fails_and_the_message_says_so(tmp_path: Path, path: str) -> None:
    finding = only(run_rule("CONT001", tmp_path, {path: PLAIN}))
    assert f"the only Dockerfile, `{path}` (a dev container), does not build" in finding.message


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("tests/fixtures/Dockerfile", "a test or docs fixture"),
        ("Dockerfile.dev", "a development or CI image"),
    ],
)
def test_an_image_that_does_not_ship_alone_fails(tmp_path: Path, path: str, kind: str) -> None:
    finding = only(run_rule("CONT001", tmp_path, {path: PLAIN}))
    assert f"`{path}` ({kind})" in finding.message


def test_a_dev_container_beside_the_service_dockerfile_passes(tmp_path: Path) -> None:
    files = {".devcontainer/Dockerfile": PLAIN, "Dockerfile": SERVICE}
    assert run_rule("CONT001", tmp_path, files) == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "has no `FROM` instruction"),
        ("# syntax=docker/dockerfile:1\n# nothing yet\n", "has no `FROM` instruction"),
        (b"\x00\x01\x02binary\x00", "cannot be read as text"),
    ],
    ids=["empty", "comments-only", "binary"],
)
def test_a_dockerfile_that_builds_nothing_fails_at_its_path(
    tmp_path: Path, content: str | bytes, says: str
) -> None:
    finding = only(run_rule("CONT001", tmp_path, {"Dockerfile": content}))
    assert finding.path == "Dockerfile"
    assert says in finding.message


def test_a_template_of_a_dockerfile_is_not_a_dockerfile(tmp_path: Path) -> None:
    files = {"template/Dockerfile.jinja": "FROM {{ base_image }}\n"}
    assert "no `Dockerfile`" in only(run_rule("CONT001", tmp_path, files)).message


# -- CONT002: every FROM is pinned -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("FROM python", "`FROM python` has no tag"),
        ("FROM python:latest", "`FROM python:latest` uses the moving `latest` tag"),
        ("from python:latest AS base", "uses the moving `latest` tag"),
        ("FROM --platform=$BUILDPLATFORM python", "has no tag"),
        ("FROM localhost:5000/team/churn", "`FROM localhost:5000/team/churn` has no tag"),
        ('FROM "python"', "has no tag"),
    ],
)
def test_an_unpinned_base_image_fails(tmp_path: Path, line: str, says: str) -> None:
    files = dockerfile(line, "COPY . /app")
    finding = only(run_rule("CONT002", tmp_path, files))
    assert says in finding.message
    assert line_of(files, finding) == line


def test_the_message_recommends_a_digest(tmp_path: Path) -> None:
    finding = only(run_rule("CONT002", tmp_path, dockerfile("FROM python")))
    assert "pin a version tag, better a digest (`python:<version>@sha256:<digest>`)" in (
        finding.message
    )


@pytest.mark.parametrize(
    "line",
    [
        "FROM python:3.11-slim",
        "FROM python:3",
        "FROM python@sha256:" + "a" * 64,
        "FROM python:3.11-slim@sha256:" + "a" * 64,
        "FROM --platform=$BUILDPLATFORM python:3.11-slim AS build",
        "FROM localhost:5000/team/churn:1.4.0",
        "FROM scratch",
        "FROM ghcr.io/acme/base:2024.06",
    ],
)
def test_a_pinned_base_image_passes(tmp_path: Path, line: str) -> None:
    assert run_rule("CONT002", tmp_path, dockerfile(line)) == []


def test_every_stage_is_judged_and_each_finding_points_at_its_from(tmp_path: Path) -> None:
    files = dockerfile(
        "FROM python:3.11 AS build",
        "RUN pip wheel -r requirements.lock -w /wheels",
        "FROM node AS assets",
        "FROM python:latest",
    )
    findings = run_rule("CONT002", tmp_path, files)
    assert [f.line for f in findings] == [3, 4]


@pytest.mark.parametrize("reference", ["build", "BUILD", "Build"])
def test_a_from_naming_an_earlier_stage_is_not_an_image(tmp_path: Path, reference: str) -> None:
    files = dockerfile("FROM python:3.11-slim AS build", f"FROM {reference}")
    assert run_rule("CONT002", tmp_path, files) == []


@pytest.mark.parametrize(
    "lines",
    [
        ("ARG BASE_IMAGE=python:3.11-slim", "FROM ${BASE_IMAGE}"),
        ("ARG BASE_IMAGE=python:3.11-slim", "FROM $BASE_IMAGE AS runtime"),
        ('ARG BASE_IMAGE="python:3.11-slim"', "FROM ${BASE_IMAGE}"),
        ("ARG PYTHON=3.11", "FROM python:${PYTHON}-slim"),
        ("ARG PYTHON=3.11", "ARG BASE=python:${PYTHON}-slim", "FROM ${BASE}"),
        ("FROM python:${PYTHON_VERSION:-3.11}-slim",),
    ],
)
def test_a_base_image_from_a_pinned_arg_default_passes(
    tmp_path: Path, lines: tuple[str, ...]
) -> None:
    assert run_rule("CONT002", tmp_path, dockerfile(*lines)) == []


@pytest.mark.parametrize(
    ("lines", "resolved"),
    [
        (("ARG BASE_IMAGE=python", "FROM ${BASE_IMAGE}"), "`python`"),
        (("ARG BASE_IMAGE=python:latest", "FROM ${BASE_IMAGE}"), "`python:latest`"),
        (("FROM python:${TAG:-latest}",), "`python:latest`"),
    ],
)
def test_an_unpinned_arg_default_fails_and_says_what_it_resolves_to(
    tmp_path: Path, lines: tuple[str, ...], resolved: str
) -> None:
    files = dockerfile(*lines)
    finding = only(run_rule("CONT002", tmp_path, files))
    assert f"resolves to {resolved}" in finding.message
    assert line_of(files, finding).startswith("FROM")


@pytest.mark.parametrize(
    "lines",
    [
        ("ARG BASE_IMAGE", "FROM ${BASE_IMAGE}"),
        ("ARG TAG", "FROM python:${TAG}"),
        ("FROM ${UNDECLARED}",),
    ],
)
def test_a_base_image_left_to_the_build_is_not_judged(
    tmp_path: Path, lines: tuple[str, ...]
) -> None:
    assert run_rule("CONT002", tmp_path, dockerfile(*lines)) == []


def test_an_arg_declared_inside_a_stage_does_not_reach_from(tmp_path: Path) -> None:
    """Docker only substitutes ARGs declared before the first FROM into a FROM."""
    files = dockerfile("FROM python:3.11 AS build", "ARG BASE=python:3.11", "FROM ${BASE}")
    assert run_rule("CONT002", tmp_path, files) == []


def test_a_templated_from_is_not_judged(tmp_path: Path) -> None:
    files = {"template/{{package}}/Dockerfile": "FROM {{ base_image }}\n"}
    assert run_rule("CONT002", tmp_path, files) == []


def test_the_pre_commit_hook_judges_a_changed_dockerfile_alone(tmp_path: Path) -> None:
    build_tree(tmp_path, {"Dockerfile": "FROM python\n", "src/app.py": "x = 1\n"})
    result = audit_path(tmp_path, files=[tmp_path / "Dockerfile"], select=["CONT002"])
    assert [(f.rule_id, f.path, f.line) for f in result.findings] == [("CONT002", "Dockerfile", 1)]


# -- CONT003: the final stage runs as a non-root user ----------------------------------------


def test_a_final_stage_without_user_runs_as_root(tmp_path: Path) -> None:
    files = dockerfile("FROM python:3.11-slim", "COPY . /app", 'CMD ["python", "app.py"]')
    finding = only(run_rule("CONT003", tmp_path, files))
    assert finding.message.startswith(
        "the final stage of `Dockerfile` sets no `USER`, so unless `python:3.11-slim` switches "
        "user itself the model service runs as root"
    )
    assert line_of(files, finding) == "FROM python:3.11-slim"


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:root", "ROOT"])
def test_switching_to_root_last_fails_at_that_line(tmp_path: Path, user: str) -> None:
    files = dockerfile("FROM python:3.11-slim", "USER app", "RUN id", f"USER {user}", "CMD x")
    finding = only(run_rule("CONT003", tmp_path, files))
    assert f"switches to `USER {user}`" in finding.message
    assert line_of(files, finding) == f"USER {user}"


@pytest.mark.parametrize("user", ["app", "10001", "10001:10001", "app:app", "nobody"])
def test_a_non_root_user_passes(tmp_path: Path, user: str) -> None:
    files = dockerfile("FROM python:3.11-slim", "USER root", "RUN apt-get update", f"USER {user}")
    assert run_rule("CONT003", tmp_path, files) == []


def test_a_user_in_a_build_stage_does_not_count_for_the_final_stage(tmp_path: Path) -> None:
    files = dockerfile("FROM python:3.11 AS build", "USER app", "FROM python:3.11-slim", "CMD x")
    assert only(run_rule("CONT003", tmp_path, files)).line == 3


def test_a_final_stage_built_from_an_earlier_stage_inherits_its_user(tmp_path: Path) -> None:
    files = dockerfile("FROM python:3.11-slim AS base", "USER 10001", "FROM base", "CMD x")
    assert run_rule("CONT003", tmp_path, files) == []


@pytest.mark.parametrize(
    ("lines", "fails"),
    [
        (("FROM python:3.11-slim", "ARG UID=10001", "USER ${UID}"), False),
        (("FROM python:3.11-slim", "ENV APP_USER=app", "USER $APP_USER"), False),
        (("FROM python:3.11-slim", "ARG UID", "USER ${UID}"), False),
        (("FROM python:3.11-slim", "ARG UID=0", "USER ${UID}:0"), True),
    ],
)
def test_a_user_from_a_variable_is_resolved_or_left_to_the_build(
    tmp_path: Path, lines: tuple[str, ...], fails: bool
) -> None:
    findings = run_rule("CONT003", tmp_path, dockerfile(*lines))
    assert bool(findings) is fails
    if fails:
        assert "(`0:0`)" in findings[0].message


@pytest.mark.parametrize(
    "base",
    [
        "gcr.io/distroless/python3-debian12:nonroot",
        "gcr.io/distroless/python3-debian12:debug-nonroot",
        "cgr.dev/chainguard/python:latest",
        "mambaorg/micromamba:1.5.8",
        "docker.io/rayproject/ray:2.9.3-py311",
        "pytorch/torchserve:0.10.0-cpu",
        "quay.io/jupyter/scipy-notebook:2024-05-27",
    ],
)
def test_a_base_image_that_defaults_to_a_non_root_user_passes(tmp_path: Path, base: str) -> None:
    files = dockerfile(f"FROM {base}", 'ENTRYPOINT ["python", "-m", "churn.serve"]')
    assert run_rule("CONT003", tmp_path, files) == []


def test_a_final_scratch_stage_that_only_exports_files_is_not_judged(tmp_path: Path) -> None:
    files = dockerfile(
        "FROM python:3.11 AS build",
        "RUN pip wheel . -w /w",
        "FROM scratch",
        "COPY --from=build /w /",
    )
    assert run_rule("CONT003", tmp_path, files) == []


def test_a_user_switch_ending_an_open_continuation_at_the_end_of_file_counts(
    tmp_path: Path,
) -> None:
    files = {
        "Dockerfile": "FROM python:3.11-slim\nRUN useradd app \\\n\n    && mkdir /app\nUSER app \\"
    }
    assert run_rule("CONT003", tmp_path, files) == []


# -- CONT004: the container reports health ---------------------------------------------------


def test_a_healthcheck_in_the_final_stage_passes(tmp_path: Path) -> None:
    assert run_rule("CONT004", tmp_path, {"Dockerfile": SERVICE}) == []


def test_no_healthcheck_and_no_manifests_fails_at_the_final_from(tmp_path: Path) -> None:
    files = {"Dockerfile": PLAIN}
    finding = only(run_rule("CONT004", tmp_path, files))
    assert "the final stage of `Dockerfile` has no `HEALTHCHECK`" in finding.message
    assert "no deployment manifest sets liveness and readiness probes" in finding.message
    assert line_of(files, finding) == "FROM python:3.11-slim"


def test_healthcheck_none_turns_it_off(tmp_path: Path) -> None:
    files = {"Dockerfile": SERVICE + "HEALTHCHECK NONE\n"}
    finding = only(run_rule("CONT004", tmp_path, files))
    assert "(`HEALTHCHECK NONE` on line 14 turns it off)" in finding.message
    assert line_of(files, finding) == "HEALTHCHECK NONE"


def test_a_healthcheck_in_a_build_stage_does_not_count(tmp_path: Path) -> None:
    files = dockerfile("FROM python:3.11 AS build", "HEALTHCHECK CMD true", "FROM python:3.11-slim")
    assert len(run_rule("CONT004", tmp_path, files)) == 1


def test_a_final_stage_built_from_a_stage_with_a_healthcheck_inherits_it(tmp_path: Path) -> None:
    files = dockerfile("FROM python:3.11 AS base", "HEALTHCHECK CMD true", "FROM base")
    assert run_rule("CONT004", tmp_path, files) == []


@pytest.mark.parametrize(
    "manifests",
    [
        {"deploy/k8s/deployment.yaml": DEPLOYMENT},
        {"deploy/k8s/all.yaml": f"---\n{SERVICE_MANIFEST}---\n{DEPLOYMENT}"},
        {
            **CHART,
            "deploy/chart/templates/deployment.yaml": HELM_TEMPLATE,
            "deploy/chart/values.yaml": HELM_VALUES,
        },
        {
            "deploy/kserve.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: churn\nspec:\n  predictor:\n    model:\n"
            "      storageUri: s3://models/churn\n"
        },
        {"compose.yaml": COMPOSE},
        {"docker-compose.yml": COMPOSE},
    ],
    ids=["k8s", "k8s-multi-document", "helm", "kserve", "compose", "docker-compose"],
)
def test_probes_in_deployment_manifests_pass(tmp_path: Path, manifests: Files) -> None:
    assert run_rule("CONT004", tmp_path, {"Dockerfile": PLAIN, **manifests}) == []


def test_a_workload_with_only_a_liveness_probe_does_not_report_readiness(tmp_path: Path) -> None:
    manifest = DEPLOYMENT.replace(
        "          readinessProbe:\n            httpGet: {path: /readyz, port: 8000}\n", ""
    )
    files = {"Dockerfile": PLAIN, "deploy/k8s/deployment.yaml": manifest}
    finding = only(run_rule("CONT004", tmp_path, files))
    assert "no Kubernetes manifest sets liveness and readiness probes" in finding.message


def test_a_healthcheck_on_the_database_alone_does_not_count_for_the_built_service(
    tmp_path: Path,
) -> None:
    compose = """\
        services:
          api:
            build: .
          db:
            image: postgres:16
            healthcheck:
              test: ["CMD", "pg_isready"]
        """
    files = {"Dockerfile": PLAIN, "compose.yaml": compose}
    assert "no Compose file sets" in only(run_rule("CONT004", tmp_path, files)).message


def test_a_disabled_compose_healthcheck_does_not_count(tmp_path: Path) -> None:
    compose = "services:\n  api:\n    build: .\n    healthcheck:\n      disable: true\n"
    assert len(run_rule("CONT004", tmp_path, {"Dockerfile": PLAIN, "compose.yaml": compose})) == 1


def test_a_healthcheck_is_not_judged_while_no_dockerfile_exists(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {"README.md": "# Churn\n"}, select=["CONT001", "CONT004"])
    assert [f.rule_id for f in result.findings] == ["CONT001"]


# -- CONT005: .dockerignore keeps secrets, data and history out ------------------------------


def test_a_complete_dockerignore_passes(tmp_path: Path) -> None:
    files = {"Dockerfile": SERVICE, ".dockerignore": DOCKERIGNORE}
    assert run_rule("CONT005", tmp_path, files) == []


def test_a_missing_dockerignore_fails_at_the_dockerfile(tmp_path: Path) -> None:
    finding = only(run_rule("CONT005", tmp_path, {"Dockerfile": SERVICE}))
    assert finding.message.startswith("no `.dockerignore` at the repository root")
    assert finding.path == "Dockerfile"


def test_dockerfiles_sharing_a_directory_get_one_finding(tmp_path: Path) -> None:
    files = {"Dockerfile": SERVICE, "Dockerfile.gpu": SERVICE}
    finding = only(run_rule("CONT005", tmp_path, files))
    assert "(beside `Dockerfile` and `Dockerfile.gpu`)" in finding.message


def test_the_message_lists_only_what_is_not_excluded(tmp_path: Path) -> None:
    files = {"Dockerfile": SERVICE, ".dockerignore": ".git\n.env\n__pycache__/\n*.ipynb\n"}
    finding = only(run_rule("CONT005", tmp_path, files))
    assert finding.message.startswith(
        "`.dockerignore` does not keep data (`data/`, `*.csv`) and experiment stores "
        "(`mlruns/`, `wandb/`) out of the build context"
    )
    assert finding.path == ".dockerignore"


def test_an_empty_dockerignore_excludes_nothing(tmp_path: Path) -> None:
    finding = only(run_rule("CONT005", tmp_path, {"Dockerfile": SERVICE, ".dockerignore": ""}))
    assert "does not keep `.git`, data" in finding.message


@pytest.mark.parametrize(
    "ignore",
    [
        "*\n!src/\n!requirements.lock\n",
        "**\n!src\n!pyproject.toml\n",
        "./.git/\n/.env\n**/data/\n**/*.ipynb\nmlruns\n",
        ".git*\n.env*\n*.csv\n*.parquet\nnotebooks\nwandb/\n# comment\n\n",
        ".git\n.env\n!.env.example\ndata\n!data/schema.json\n*.ipynb\nmlruns/\n",
    ],
    ids=["allow-list", "allow-list-double-star", "docker-style", "globs", "with-exceptions"],
)
def test_other_complete_spellings_pass(tmp_path: Path, ignore: str) -> None:
    files = {"Dockerfile": SERVICE, ".dockerignore": ignore}
    assert run_rule("CONT005", tmp_path, files) == []


def test_an_allow_list_that_lets_notebooks_back_in_fails(tmp_path: Path) -> None:
    files = {"Dockerfile": SERVICE, ".dockerignore": "*\n!src/\n!notebooks/\n"}
    finding = only(run_rule("CONT005", tmp_path, files))
    assert "does not keep notebooks (`*.ipynb`, `notebooks/`) out" in finding.message


@pytest.mark.parametrize(
    "ignore_file",
    [
        "services/api/.dockerignore",
        ".dockerignore",
        "services/api/Dockerfile.dockerignore",
        "services/api/.containerignore",
    ],
)
def test_a_monorepo_service_may_keep_its_ignore_file_beside_it_or_above(
    tmp_path: Path, ignore_file: str
) -> None:
    files = {"services/api/Dockerfile": SERVICE, ignore_file: DOCKERIGNORE}
    assert run_rule("CONT005", tmp_path, files) == []


def test_a_monorepo_service_without_an_ignore_file_is_named(tmp_path: Path) -> None:
    files = {"services/api/Dockerfile": SERVICE, "services/web/.dockerignore": DOCKERIGNORE}
    finding = only(run_rule("CONT005", tmp_path, files))
    assert finding.message.startswith(
        "no `.dockerignore` in `services/api/` (beside `services/api/Dockerfile`)"
    )


def test_the_nearest_incomplete_ignore_file_is_reported_once(tmp_path: Path) -> None:
    files = {
        "services/api/Dockerfile": SERVICE,
        "services/api/Dockerfile.gpu": SERVICE,
        "services/api/.dockerignore": ".git\n",
        ".dockerignore": ".git\n.env\n",
    }
    finding = only(run_rule("CONT005", tmp_path, files))
    assert finding.path == "services/api/.dockerignore"


def test_a_dev_container_needs_no_dockerignore(tmp_path: Path) -> None:
    files = {
        "Dockerfile": SERVICE,
        ".dockerignore": DOCKERIGNORE,
        ".devcontainer/Dockerfile": PLAIN,
    }
    assert run_rule("CONT005", tmp_path, files) == []


# -- CONT006: no secrets baked into the image ------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "ENV API_KEY=abc123",
        "ENV OPENAI_API_KEY=sk-live-3f9a7c2e",
        "ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCY",
        "ARG DB_PASSWORD=hunter2",
        "ENV HF_TOKEN=hf_abcdefghijklmnop",
        "ENV PGPASSWORD=postgres",
        "ENV MLFLOW_TRACKING_PASSWORD changeme",
        "ENV\tDB_PASSWORD\thunter2",
        'ENV SECRET_KEY="django-insecure-123"',
        "ENV clientSecret=abc",
        "ARG GITHUB_TOKEN=ghp_abc HOME=/root",
    ],
)
def test_a_literal_secret_in_env_or_arg_fails(tmp_path: Path, line: str) -> None:
    files = dockerfile("FROM python:3.11-slim", line)
    finding = only(run_rule("CONT006", tmp_path, files))
    assert line_of(files, finding) == line
    assert "sets a literal value for what its name says is a secret" in finding.message


def test_the_secret_value_is_not_repeated_in_the_message(tmp_path: Path) -> None:
    finding = only(run_rule("CONT006", tmp_path, dockerfile("FROM python:3", "ENV API_KEY=s3cr3t")))
    assert "`ENV API_KEY`" in finding.message
    assert "s3cr3t" not in finding.message


@pytest.mark.parametrize(
    "line",
    [
        "ARG HF_TOKEN",
        "ARG HF_TOKEN=",
        "ENV TOKEN=${TOKEN}",
        "ENV API_KEY=$API_KEY",
        'ENV HF_TOKEN=""',
        "ENV TOKENIZERS_PARALLELISM=false",
        "ENV MAX_TOKENS=512",
        "ENV KEYCLOAK_URL=https://auth.acme.example",
        "ENV KEY_PATH=/run/secrets/api_key",
        "ENV TLS_KEY=/etc/ssl/private/service.key",
        "ENV API_KEY_FILE=/run/secrets/api_key",
        "ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "ENV SECRET_NAME=prod/churn/db",
        "ENV PUBLIC_KEY=ssh-ed25519-AAAA",
        "ENV HF_HUB_DISABLE_TOKEN=1",
        "ENV OPENAI_API_KEY=<your-key>",
        "ENV MONKEY=banana",
        "ENV API_KEY_HEADER=X-Api-Key",
    ],
)
def test_names_and_values_that_are_not_literal_secrets_pass(tmp_path: Path, line: str) -> None:
    assert run_rule("CONT006", tmp_path, dockerfile("FROM python:3.11-slim", line)) == []


def test_a_secret_set_across_continuation_lines_points_at_its_own_line(tmp_path: Path) -> None:
    files = dockerfile(
        "FROM python:3.11-slim",
        "ENV PORT=8000 \\",
        "    HF_TOKEN=hf_abc123 \\",
        "    LOG_LEVEL=info",
    )
    finding = only(run_rule("CONT006", tmp_path, files))
    assert line_of(files, finding).strip() == "HF_TOKEN=hf_abc123 \\"


def test_a_secret_in_a_global_arg_fails(tmp_path: Path) -> None:
    files = dockerfile("ARG PIP_INDEX_TOKEN=abc123", "FROM python:3.11-slim")
    assert only(run_rule("CONT006", tmp_path, files)).line == 1


# -- CONT007: dependencies installed from a lock ---------------------------------------------


@pytest.mark.parametrize(
    ("run", "named"),
    [
        ("RUN pip install fastapi uvicorn", "`fastapi` and `uvicorn`"),
        ("RUN pip3 install --no-cache-dir 'uvicorn[standard]'", "`uvicorn[standard]`"),
        ("RUN python -m pip install scikit-learn", "`scikit-learn`"),
        ("RUN /opt/venv/bin/python3.11 -m pip install -U pandas", "`pandas`"),
        ("RUN uv pip install --system mlflow", "`mlflow`"),
        ('RUN pip install "numpy<2"', "`numpy<2`"),
        ("RUN pip install numpy>=1.26", "`numpy>=1.26`"),
        ("RUN pip install torch~=2.2", "`torch~=2.2`"),
        ("RUN pip install torch==2.*", "`torch==2.*`"),
        ("RUN apt-get update && pip install -r requirements.txt gunicorn", "`gunicorn`"),
        ("RUN pip install fastapi==0.110.0 rich 2>/dev/null", "`rich`"),
        ("RUN --mount=type=cache,target=/root/.cache pip install torch", "`torch`"),
        ('RUN ["pip", "install", "flask"]', "`flask`"),
        ('RUN sh -c "pip install gunicorn"', "`gunicorn`"),
        ("RUN PIP_NO_CACHE_DIR=1 pip install xgboost", "`xgboost`"),
        (
            "RUN pip install torch --index-url https://download.pytorch.org/whl/cpu",
            "`torch`",
        ),
    ],
)
def test_a_bare_pip_install_fails_naming_the_packages(tmp_path: Path, run: str, named: str) -> None:
    files = dockerfile("FROM python:3.11-slim", run)
    finding = only(run_rule("CONT007", tmp_path, files))
    assert finding.message.startswith(f"`RUN` installs {named} without an `==` pin")
    assert finding.severity is Severity.WARNING
    assert finding.line == 2


@pytest.mark.parametrize(
    "run",
    [
        "RUN pip install -r requirements.lock",
        "RUN pip install --no-cache-dir -r requirements.txt",
        "RUN pip install -rrequirements.txt",
        "RUN pip install --requirement=requirements.txt",
        "RUN pip install --no-deps -e .",
        "RUN pip install .",
        'RUN pip install ".[serve]"',
        "RUN pip install /wheels/*.whl",
        "RUN pip install dist/churn-1.0-py3-none-any.whl",
        "RUN pip install git+https://github.com/acme/churn@v1.0",
        "RUN uv sync --frozen --no-dev",
        "RUN poetry install --only main --no-root",
        "RUN pipenv install --deploy --system",
        "RUN pip install --require-hashes -r requirements.lock",
        "RUN pip install -c constraints.txt pandas scikit-learn",
        "RUN pip install --no-index --find-links /wheels fastapi",
        "RUN pip install fastapi==0.110.0 'uvicorn[standard]==0.29.0'",
        "RUN pip install torch==2.2.0+cpu",
        "RUN pip install mlflow==${MLFLOW_VERSION}",
        "RUN pip install $EXTRA_PACKAGES",
        "RUN pip install --upgrade pip setuptools wheel",
        "RUN python -m pip install -U pip && pip install -r requirements.lock",
        "RUN pip install uv==0.4.0 && uv pip install --system -r requirements.lock",
        "RUN pip wheel -r requirements.lock -w /wheels",
        "RUN echo pip install fastapi",
        "RUN python train.py --install fastapi",
        "RUN conda env create -f environment.yml",
    ],
)
def test_locked_pinned_or_local_installs_pass(tmp_path: Path, run: str) -> None:
    assert run_rule("CONT007", tmp_path, dockerfile("FROM python:3.11-slim", run)) == []


def test_a_pip_install_split_over_continuation_lines_points_at_the_run(tmp_path: Path) -> None:
    files = dockerfile(
        "FROM python:3.11-slim",
        "RUN apt-get update \\",
        "    && pip install --no-cache-dir \\",
        "       fastapi \\",
        "    && rm -rf /var/lib/apt/lists/*",
    )
    finding = only(run_rule("CONT007", tmp_path, files))
    assert "`fastapi`" in finding.message
    assert line_of(files, finding) == "RUN apt-get update \\"


def test_a_heredoc_script_is_read_as_part_of_its_run(tmp_path: Path) -> None:
    files = dockerfile(
        "# syntax=docker/dockerfile:1",
        "FROM python:3.11-slim",
        "RUN <<EOF",
        "pip install requests",
        "USER root",
        "EOF",
        "USER app",
    )
    assert "`requests`" in only(run_rule("CONT007", tmp_path, files)).message
    assert run_rule("CONT003", tmp_path, files) == []


def test_a_shift_that_looks_like_a_heredoc_swallows_nothing(tmp_path: Path) -> None:
    files = dockerfile(
        "FROM python:3.11-slim", "RUN echo $((1<<x)) && pip install flask", "USER app"
    )
    assert "`flask`" in only(run_rule("CONT007", tmp_path, files)).message
    assert run_rule("CONT003", tmp_path, files) == []


# -- OPS003: deployment manifests set probes and limits --------------------------------------


def test_a_repository_without_deployment_manifests_has_nothing_to_judge(tmp_path: Path) -> None:
    assert run_rule("OPS003", tmp_path, {"Dockerfile": SERVICE}) == []


@pytest.mark.parametrize(
    "files",
    [
        {"deploy/k8s/deployment.yaml": DEPLOYMENT},
        {"deploy/k8s/all.yaml": f"{SERVICE_MANIFEST}---\n{DEPLOYMENT}"},
        {
            **CHART,
            "deploy/chart/templates/deployment.yaml": HELM_TEMPLATE,
            "deploy/chart/values.yaml": HELM_VALUES,
        },
        {"compose.yaml": COMPOSE},
        {
            "Dockerfile": SERVICE,
            "compose.yaml": COMPOSE.replace(
                '    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost:8000/healthz"]\n',
                "",
            ),
        },
    ],
    ids=["k8s", "k8s-multi-document", "helm", "compose", "compose-image-healthcheck"],
)
def test_manifests_with_probes_and_limits_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("OPS003", tmp_path, files) == []


def test_a_container_without_probes_and_limits_is_named_at_its_line(tmp_path: Path) -> None:
    manifest = """\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: churn-api
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: ghcr.io/acme/churn-api:1.4.0
                  resources:
                    limits: {cpu: "2"}
        """
    files = {"deploy/k8s/api.yaml": manifest}
    finding = only(run_rule("OPS003", tmp_path, files))
    assert finding.message.startswith(
        "StatefulSet `churn-api` (container `api`) in `deploy/k8s/api.yaml` sets no liveness "
        "probe, no readiness probe and no memory limit:"
    )
    assert finding.severity is Severity.WARNING
    assert finding.line == 9


def test_probes_shared_through_yaml_anchors_and_merge_keys_count(tmp_path: Path) -> None:
    manifest = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: churn-api}
        spec:
          template:
            spec:
              containers:
                - &api
                  name: api
                  image: ghcr.io/acme/churn-api:1.4.0
                  livenessProbe: &probe
                    httpGet: {path: /healthz, port: 8000}
                  readinessProbe: *probe
                  resources: {limits: {memory: 2Gi}}
                - <<: *api
                  name: api-canary
                  readinessProbe: null
        """
    files = {"deploy/k8s/deployment.yaml": dedent(manifest)}
    finding = only(run_rule("OPS003", tmp_path, files))
    assert "(container `api-canary`)" in finding.message
    assert "sets no readiness probe:" in finding.message
    assert line_of(files, finding).strip() == "- <<: *api"


def test_every_container_of_a_workload_is_judged(tmp_path: Path) -> None:
    sidecar = "        - name: proxy\n          image: envoyproxy/envoy:v1.30.0\n"
    files = {"deploy/k8s/deployment.yaml": DEPLOYMENT + sidecar}
    finding = only(run_rule("OPS003", tmp_path, files))
    assert "(container `proxy`)" in finding.message


def test_a_kustomize_patch_is_judged_with_the_workload_it_patches(tmp_path: Path) -> None:
    base = DEPLOYMENT.replace(
        "          readinessProbe:\n            httpGet: {path: /readyz, port: 8000}\n", ""
    )
    patch = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: churn-api
        spec:
          template:
            spec:
              containers:
                - name: api
                  readinessProbe:
                    httpGet: {path: /readyz, port: 8000}
        """
    files = {
        "deploy/base/deployment.yaml": base,
        "deploy/overlays/prod/probes.yaml": patch,
        "deploy/overlays/prod/kustomization.yaml": "resources: [../../base]\n",
    }
    assert run_rule("OPS003", tmp_path, files) == []


def test_a_batch_job_is_not_a_service(tmp_path: Path) -> None:
    job = """\
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: retrain
        spec:
          schedule: "0 3 * * 1"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: retrain
                      image: ghcr.io/acme/churn-pipeline:1.4.0
        """
    assert run_rule("OPS003", tmp_path, {"deploy/k8s/retrain.yaml": job}) == []


def test_a_helm_chart_without_limits_points_at_its_values(tmp_path: Path) -> None:
    values = HELM_VALUES.replace("resources:\n  limits:\n    memory: 2Gi\n", "resources: {}\n")
    files = {
        **CHART,
        "deploy/chart/templates/deployment.yaml": HELM_TEMPLATE,
        "deploy/chart/values.yaml": values,
    }
    finding = only(run_rule("OPS003", tmp_path, files))
    assert finding.message.startswith(
        "Helm chart `deploy/chart` sets no memory limit in `deploy/chart/values.yaml`"
    )
    assert line_of(files, finding) == "resources: {}"


def test_a_chart_at_the_root_does_not_hide_other_manifests(tmp_path: Path) -> None:
    manifest = DEPLOYMENT.replace("          resources:\n", "").replace(
        "            requests: {cpu: 500m, memory: 1Gi}\n            limits: {memory: 2Gi}\n", ""
    )
    files = {
        "Chart.yaml": "apiVersion: v2\nname: churn\n",
        "templates/deployment.yaml": HELM_TEMPLATE,
        "values.yaml": HELM_VALUES,
        "deploy/k8s/deployment.yaml": manifest,
    }
    finding = only(run_rule("OPS003", tmp_path, files))
    assert finding.message.startswith("Deployment `churn-api` (container `api`)")
    assert "sets no memory limit" in finding.message


def test_a_helm_chart_without_a_workload_is_not_judged(tmp_path: Path) -> None:
    files = {
        **CHART,
        "deploy/chart/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\n"
        "metadata:\n  name: {{ .Release.Name }}\n",
    }
    assert run_rule("OPS003", tmp_path, files) == []


def test_each_compose_service_is_judged(tmp_path: Path) -> None:
    compose = COMPOSE + "  mlflow:\n    image: ghcr.io/mlflow/mlflow:v2.14.0\n"
    files = {"compose.yaml": compose}
    finding = only(run_rule("OPS003", tmp_path, files))
    assert finding.message.startswith(
        "Compose service `mlflow` in `compose.yaml` has no healthcheck and no memory limit:"
    )
    assert line_of(files, finding) == "  mlflow:"


def test_a_compose_override_completes_its_base(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  api:\n    build: .\n",
        "docker-compose.override.yml": "services:\n  api:\n    mem_limit: 2g\n"
        "    healthcheck:\n      test: curl -f http://localhost:8000/healthz\n",
    }
    assert run_rule("OPS003", tmp_path, files) == []


def test_a_one_shot_compose_service_is_not_judged(tmp_path: Path) -> None:
    compose = COMPOSE + '  train:\n    build: .\n    command: ["churn-train"]\n    restart: "no"\n'
    assert run_rule("OPS003", tmp_path, {"compose.yaml": compose}) == []


# -- bad input: never a crash, never a false finding -----------------------------------------

ALL_CONTAINER_RULES = [
    "CONT001",
    "CONT002",
    "CONT003",
    "CONT004",
    "CONT005",
    "CONT006",
    "CONT007",
    "OPS003",
    "PC001",
    "PC002",
    "PC005",
]


def findings_of(tmp_path: Path, files: Files) -> set[tuple[str, str | None]]:
    result = audit_tree(tmp_path, files, select=ALL_CONTAINER_RULES)
    return {(f.rule_id, f.path) for f in result.findings}


GOOD_REPO: Files = {
    "Dockerfile": SERVICE,
    ".dockerignore": DOCKERIGNORE,
    "deploy/k8s/deployment.yaml": DEPLOYMENT,
}


def test_the_complete_repository_passes_every_container_rule(tmp_path: Path) -> None:
    assert findings_of(tmp_path, GOOD_REPO) == set()


@pytest.mark.parametrize(
    "broken",
    [
        "FROOM python:3.11\nRUN echo hi\n",
        "FROM python:3.11-slim\nRUN echo 'unterminated \\\n",
        "FROM python:3.11-slim\nRUN pip install 'unclosed\n",
        "FROM\nUSER\nENV\nARG\nRUN\n",
        "FROM python:3.11-slim\nENV =value\nARG =\nENV A B C\n",
        "\ufeffFROM python:3.11-slim\r\nUSER app\r\n",
        "# escape=`\nFROM python:3.11-slim\nRUN echo a `\n  b\nUSER app\n",
        'FROM python:3.11-slim\nRUN ["pip", "install"\nCMD ["x"]\n',
    ],
    ids=[
        "unknown-instruction",
        "unterminated-continuation",
        "unclosed-quote",
        "instructions-without-arguments",
        "malformed-assignments",
        "bom-and-crlf",
        "backtick-escape",
        "broken-exec-form",
    ],
)
def test_a_dockerfile_with_syntax_errors_never_crashes(tmp_path: Path, broken: str) -> None:
    found = findings_of(tmp_path, {**GOOD_REPO, "services/odd/Dockerfile": broken})
    assert not {f for f in found if f[0] == "PC005"}, found
    assert ("CONT002", "services/odd/Dockerfile") not in found


def test_a_binary_dockerfile_is_reported_unreadable_not_judged(tmp_path: Path) -> None:
    found = findings_of(tmp_path, {**GOOD_REPO, "services/odd/Dockerfile": b"\x00\x89PNG\x00"})
    assert found == {("PC001", "services/odd/Dockerfile")}


@pytest.mark.parametrize(
    "manifest",
    [
        "- apiVersion: apps/v1\n  kind: Deployment\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec: [1, 2]\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers: {api: x}\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers: [null, 3, {name: api}]\n",
        "---\n---\napiVersion: v1\nkind: List\nitems: [null, {kind: Pod, spec: 3}]\n...\n",
        "apiVersion: apps/v1\nkind: [Deployment]\nmetadata: x\n",
    ],
    ids=[
        "a-list",
        "spec-a-list",
        "containers-a-mapping",
        "odd-containers",
        "list-kind",
        "odd-kind",
    ],
)
def test_manifests_of_the_wrong_shape_are_skipped(tmp_path: Path, manifest: str) -> None:
    found = findings_of(tmp_path, {**GOOD_REPO, "deploy/k8s/odd.yaml": manifest})
    assert found == set()


def test_a_broken_manifest_is_reported_unparsable_not_judged(tmp_path: Path) -> None:
    broken = "apiVersion: apps/v1\nkind: Deployment\nspec: {template: [\n"
    found = findings_of(tmp_path, {**GOOD_REPO, "deploy/k8s/broken.yaml": broken})
    assert found == {("PC002", "deploy/k8s/broken.yaml")}


def test_helm_templates_are_read_as_text_not_reported_as_broken_yaml(tmp_path: Path) -> None:
    files = {
        "Dockerfile": PLAIN,
        ".dockerignore": DOCKERIGNORE,
        **CHART,
        "deploy/chart/templates/deployment.yaml": HELM_TEMPLATE,
        "deploy/chart/templates/_helpers.tpl": '{{- define "churn.fullname" -}}x{{- end }}\n',
        "deploy/chart/values.yaml": HELM_VALUES,
    }
    assert findings_of(tmp_path, files) == set()


def test_a_templated_manifest_outside_a_chart_counts_its_probes_as_text(tmp_path: Path) -> None:
    templated = DEPLOYMENT.replace("churn-api:1.4.0", "churn-api:{{ tag }}")
    files = {"Dockerfile": PLAIN, "deploy/k8s/deployment.yaml": templated}
    assert run_rule("CONT004", tmp_path, files) == []


def test_yaml_that_is_not_a_manifest_is_never_parsed(tmp_path: Path) -> None:
    files = {**GOOD_REPO, "config/broken.yaml": "key: [unclosed\n"}
    assert findings_of(tmp_path, files) == set()


def test_the_audited_tree_is_left_unchanged(tmp_path: Path) -> None:
    files: Files = {
        **GOOD_REPO,
        "Dockerfile.gpu": "FROM python\nENV API_KEY=abc\nRUN pip install fastapi\n",
        "compose.yaml": COMPOSE,
        "Containerfile": "",
    }
    build_tree(tmp_path, files)

    def state() -> dict[str, tuple[str, float]]:
        return {
            str(p.relative_to(tmp_path)): (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                p.stat().st_mtime,
            )
            for p in tmp_path.rglob("*")
            if p.is_file()
        }

    before = state()
    result = audit_tree(tmp_path, select=ALL_CONTAINER_RULES)
    assert {f.rule_id for f in result.findings} >= {"CONT002", "CONT006", "CONT007"}
    assert state() == before
