"""What the answers switch on and off: CI provider files and Kubernetes manifests."""

from __future__ import annotations

import pytest

from tests.template.conftest import Render

CI_FILES = {
    "github": {".github/workflows/ci.yml", ".github/workflows/retrain.yml"},
    "gitlab": {".gitlab-ci.yml"},
    "none": set(),
}
ALL_CI_FILES: set[str] = set().union(*CI_FILES.values())


@pytest.mark.parametrize("provider", CI_FILES)
def test_ci_provider_emits_its_files_and_no_other(render: Render, provider: str) -> None:
    root = render(ci_provider=provider)
    present = {name for name in ALL_CI_FILES if (root / name).is_file()}

    assert present == CI_FILES[provider]
    assert (root / "CODEOWNERS").is_file()  # GitHub and GitLab both read the root one


def test_no_ci_is_declared_in_the_audit_config_not_hidden(render: Render) -> None:
    pyproject = (render(ci_provider="none") / "pyproject.toml").read_text(encoding="utf-8")

    assert 'ignore = ["ENG002"]' in pyproject
    assert "[tool.prodcheck]" not in (render() / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("answer", "expected"), [("true", True), ("false", False)])
def test_kubernetes_manifests_only_when_asked(render: Render, answer: str, expected: bool) -> None:
    root = render(kubernetes=answer)

    assert (root / "deploy/k8s/deployment.yaml").is_file() is expected
    assert (root / "deploy").exists() is expected
