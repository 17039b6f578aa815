"""`copier update` to a newer template keeps what the team changed and brings what the template did.

The template is made a git repository with two tagged versions, as a team consuming it would
see it; the project is generated from the first, edited and committed, then updated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import copier
import pytest

from prodcheck.commands.new import template_source
from tests.helpers import commit_all, git


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """The shipped template as version v1.0.0, then a v1.1.0 that changes the runbook."""
    repo = tmp_path / "template-repo"
    source = template_source()
    repo.mkdir()
    shutil.copy2(source / "copier.yml", repo / "copier.yml")
    shutil.copytree(source / "template", repo / "template")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "template v1.0.0")
    git(repo, "tag", "v1.0.0")

    runbook = repo / "template/docs/runbook.md.jinja"
    runbook.write_text(runbook.read_text(encoding="utf-8") + "\n## Added in v1.1.0\n")
    (repo / "template/docs/upgrading.md").write_text("# Upgrading\n", encoding="utf-8")
    commit_all(repo, "template v1.1.0")
    git(repo, "tag", "v1.1.0")
    return repo


def test_update_keeps_edits_and_brings_template_changes(
    template_repo: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    copier.run_copy(str(template_repo), project, defaults=True, vcs_ref="v1.0.0", quiet=True)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated from v1.0.0")
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur team's own notes.\n")
    (project / "docs/decisions.md").write_text("# Our decisions\n", encoding="utf-8")
    commit_all(project, "our edits")

    copier.run_update(project, defaults=True, overwrite=True, vcs_ref="v1.1.0", quiet=True)

    assert readme.read_text(encoding="utf-8").endswith("\nOur team's own notes.\n")
    assert (project / "docs/decisions.md").read_text(encoding="utf-8") == "# Our decisions\n"
    assert "## Added in v1.1.0" in (project / "docs/runbook.md").read_text(encoding="utf-8")
    assert (project / "docs/upgrading.md").is_file()
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "_commit: v1.1.0" in answers
