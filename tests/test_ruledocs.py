"""The docs that come from the registry: committed up to date, complete, and readable.

The rule pages, the rule index and the rule tables of the principle, stage and configuration
pages are generated (`make docs`); these tests fail when any of it is stale, when a rule is
missing from a page that should list it, or when the site no longer builds cleanly.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from prodcheck.cli import app
from prodcheck.config import Config, parse_config
from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, Registry, Rule, load_rules
from prodcheck.ruledocs import (
    GENERATED_NOTE,
    REQUIRED_SECTIONS,
    DocsError,
    fill_sections,
    principle_page,
    render_docs,
    render_pages,
    rule_page,
    section,
    settings_defaults,
    stale_docs,
    write_docs,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RULES = load_rules()


def toy_rule(
    rule_id: str = "XX001",
    *,
    examples: Examples | None = None,
    scope: Scope = Scope.REPO,
    files: tuple[str, ...] = (),
    principle: Principle = Principle.SERVICE,
    stage: int = 2,
) -> Rule:
    def check(*args: object) -> list[Violation]:
        return []

    return Rule(
        id=rule_id,
        slug=f"toy-{rule_id.lower()}",
        stage=stage,
        principle=principle,
        severity=Severity.ERROR,
        scope=scope,
        summary="Something holds.",
        rationale="Because it matters.",
        remedy="Make it hold.",
        check=check,
        files=files,
        examples=examples,
    )


def links(markdown: str) -> list[str]:
    """The targets of the Markdown links in `markdown`, outside code blocks and code spans."""
    prose = re.sub(r"^(`{3,}).*?^\1", "", markdown, flags=re.DOTALL | re.MULTILINE)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return re.findall(r"\]\(([^)\s]+)\)", prose)


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    """A scratch copy of docs/, brought up to date, to make stale on purpose."""
    copy = Path(shutil.copytree(DOCS, tmp_path / "docs"))
    write_docs(copy, RULES)
    return copy


# -- committed and current -------------------------------------------------------------------


def test_committed_generated_docs_are_current() -> None:
    stale = stale_docs(DOCS, RULES)
    assert stale == [], f"docs are stale ({', '.join(stale)}): run `make docs` and commit"


def test_an_edited_rule_table_on_a_principle_page_is_stale(docs_copy: Path) -> None:
    page = docs_copy / "principles/ownership.md"
    page.write_text(page.read_text().replace("[OWN001]", "[OWN009]"), encoding="utf-8")
    assert stale_docs(docs_copy, RULES) == ["principles/ownership.md"]


def test_edited_prose_around_the_generated_sections_is_not_stale(docs_copy: Path) -> None:
    page = docs_copy / "principles/ownership.md"
    page.write_text(page.read_text() + "\nA new paragraph.\n", encoding="utf-8")
    assert stale_docs(docs_copy, RULES) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: (d / "rules/BC001.md").unlink(), ["rules/BC001.md"]),
        (lambda d: (d / "rules/XX999.md").write_text("# gone\n"), ["rules/XX999.md"]),
        (
            lambda d: (d / "stages.md").write_text((d / "stages.md").read_text() + "\n"),
            [],
        ),
        (
            lambda d: (d / "configuration.md").write_text(
                (d / "configuration.md").read_text().replace("max_data_kb = 100", "max_data_kb = 1")
            ),
            ["configuration.md"],
        ),
    ],
    ids=["missing rule page", "page of a retired rule", "prose edit", "edited defaults"],
)
def test_stale_docs_names_what_changed(
    docs_copy: Path, change: object, expected: list[str]
) -> None:
    change(docs_copy)  # type: ignore[operator]
    assert stale_docs(docs_copy, RULES) == expected


def test_write_docs_brings_stale_docs_up_to_date_and_keeps_the_prose(docs_copy: Path) -> None:
    page = docs_copy / "principles/ownership.md"
    prose = "\nA paragraph written by hand.\n"
    page.write_text(page.read_text().replace("[OWN001]", "[OWN009]") + prose, encoding="utf-8")
    (docs_copy / "rules/XX999.md").write_text("# retired\n", encoding="utf-8")

    changed = write_docs(docs_copy, RULES)

    assert changed == ["principles/ownership.md", "rules/XX999.md"]
    assert stale_docs(docs_copy, RULES) == []
    assert page.read_text().endswith(prose)
    assert not (docs_copy / "rules/XX999.md").exists()


# -- every rule where it belongs -------------------------------------------------------------


def test_every_rule_has_a_page_listed_in_the_index() -> None:
    pages = render_pages(RULES)
    for rule in RULES:
        assert f"{rule.id}.md" in pages
        assert f"[{rule.id}]({rule.id}.md)" in pages["index.md"]


@pytest.mark.parametrize("principle", list(Principle), ids=lambda p: p.value)
def test_a_principle_page_lists_exactly_the_rules_of_its_principle(principle: Principle) -> None:
    page = render_docs(DOCS, RULES)[principle_page(principle)]
    listed = set(re.findall(r"\[([A-Z]+[0-9]{3})\]\(\.\./rules/\1\.md\)", page))
    assert listed == {r.id for r in RULES if r.principle is principle}


@pytest.mark.parametrize("stage", range(4))
def test_the_stages_page_lists_each_rule_under_its_stage(stage: int) -> None:
    page = render_docs(DOCS, RULES)["stages.md"]
    body = page.split(f"<!-- begin generated: rules-of-stage-{stage} ", 1)[1]
    body = body.split(f"<!-- end generated: rules-of-stage-{stage} -->", 1)[0]
    listed = set(re.findall(r"\[([A-Z]+[0-9]{3})\]\(rules/\1\.md\)", body))
    assert listed == {r.id for r in RULES if r.stage == stage}


def test_a_principle_without_rules_yet_says_so() -> None:
    registry = Registry()
    registry.add(toy_rule(principle=Principle.SERVICE))
    text = fill_sections(
        section("rules-of-principle-governance", "old table"),
        registry,
        page="principles/governance.md",
    )
    assert "_No rule checks this principle yet._" in text
    assert "old table" not in text


# -- the rule pages --------------------------------------------------------------------------


def test_a_runnable_rule_page_shows_its_examples_and_how_to_ignore_it() -> None:
    rules = [r for r in RULES if r.check is not None]
    assert rules
    for rule in rules:
        page = rule_page(rule)
        assert "Fails on this repository:" in page, rule.id
        assert f"prodcheck: ignore[{rule.id}]" in page, rule.id


@pytest.mark.parametrize("rule", list(RULES), ids=lambda rule: rule.id)
def test_rule_text_holds_no_bare_angle_brackets_that_markdown_would_swallow(rule: Rule) -> None:
    """`src/<package>/app.py` outside backticks renders as `src//app.py`: an HTML tag."""
    for field in ("summary", "rationale", "remedy"):
        prose = re.sub(r"`[^`]*`", "", getattr(rule, field))
        assert re.findall(r"<[A-Za-z/!][^>]*>", prose) == [], f"{rule.id} {field}: use backticks"


def test_explain_prints_the_rule_page_of_the_docs() -> None:
    rule = RULES.get("BC003")
    result = CliRunner().invoke(app, ["explain", "BC003"])
    assert result.exit_code == 0
    assert f"{GENERATED_NOTE}\n\n{result.stdout}" == render_pages(RULES)["BC003.md"]
    assert result.stdout == rule_page(rule)


def test_a_rule_page_links_to_its_principle_relatively_or_to_the_published_site() -> None:
    rule = RULES.get("BC004")
    assert "[business-case](../principles/business-case.md)" in rule_page(rule)
    published = rule_page(rule, base_url="https://docs.example/prodcheck/")
    assert "[business-case](https://docs.example/prodcheck/principles/business-case/)" in published
    assert "[BC001](https://docs.example/prodcheck/rules/BC001/)" in published
    assert "../" not in " ".join(links(published))


def test_a_file_rule_page_says_which_files_it_judges_for_the_pre_commit_hook() -> None:
    page = rule_page(toy_rule(scope=Scope.FILE, files=("*.py", "*.ipynb")))
    assert "Judged file by file (`*.py`, `*.ipynb`), so the pre-commit hook runs it" in page
    assert "An error: it blocks stage 2 until it is fixed." in page


def test_an_example_holding_a_code_fence_gets_a_longer_fence() -> None:
    readme = "# Churn\n\n```sh\nmake test\n```\n"
    page = rule_page(toy_rule(examples=Examples(failing={"README.md": readme}, passing={})))
    assert f"````markdown\n{readme.rstrip()}\n````" in page


def test_a_long_example_file_is_cut_with_a_note() -> None:
    export = "customer_id,churned\n" + "".join(f"C{i:05d},0\n" for i in range(5000))
    page = rule_page(toy_rule(examples=Examples(failing={"data/export.csv": export}, passing={})))
    assert "`data/export.csv` (its first 20 of 5,001 lines, 44 KB in all)" in page
    assert "C00018,0" in page
    assert "C00019,0" not in page


def test_a_notebook_example_shows_its_cells_and_outputs_not_its_json() -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Explore"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "source": ["df = pd.read_csv('/Users/maria/export.csv')\n", "df.shape"],
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": ["(48211, 14)"]},
                    },
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"image/png": "iVBORw0KGgo" * 300},
                    },
                ],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    files = {"notebooks/explore.ipynb": json.dumps(notebook)}
    page = rule_page(toy_rule(examples=Examples(failing=files, passing={})))
    assert "`notebooks/explore.ipynb`, a notebook:" in page
    assert "Cell 1 (code):\n\n```python\ndf = pd.read_csv('/Users/maria/export.csv')\n" in page
    assert "Output of cell 1:\n\n```text\n(48211, 14)\n[image/png output, 3 KB]\n```" in page
    assert '"cell_type"' not in page


@pytest.mark.parametrize(
    ("files", "shown"),
    [
        ({}, "_an empty repository_"),
        ({"tests/__init__.py": ""}, "`tests/__init__.py` (empty)"),
        ({"Dockerfile": "FROM python:3.12\n"}, "```dockerfile\nFROM python:3.12\n```"),
        ({"services/api/Dockerfile": "FROM python\n"}, "```dockerfile\nFROM python\n```"),
        ({"OWNERS": "model_owner: '@maria'\n"}, "```yaml\nmodel_owner: '@maria'\n```"),
        ({"broken.ipynb": "{not json"}, "```json\n{not json\n```"),
    ],
    ids=["empty tree", "empty file", "Dockerfile", "Dockerfile in a subfolder", "OWNERS", "bad nb"],
)
def test_example_files_are_shown_as_a_reader_expects(files: Mapping[str, str], shown: str) -> None:
    page = rule_page(toy_rule(examples=Examples(failing=files, passing={"README.md": "# x"})))
    assert shown in page


# -- the hand-written pages keep their generated sections ------------------------------------


def test_a_page_missing_its_generated_section_is_an_error_naming_it(docs_copy: Path) -> None:
    (docs_copy / "principles/service.md").write_text("# Model service\n", encoding="utf-8")
    with pytest.raises(DocsError, match=r"principles/service.md must hold .*rules-of-principle"):
        stale_docs(docs_copy, RULES)


def test_a_missing_principle_page_is_an_error(docs_copy: Path) -> None:
    (docs_copy / "principles/governance.md").unlink()
    with pytest.raises(DocsError, match=r"missing hand-written page.*principles/governance.md"):
        render_docs(docs_copy, RULES)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (section("rules-of-stage-7", ""), "unknown generated section 'rules-of-stage-7'"),
        (section("rules-of-principle-magic", ""), "unknown generated section"),
        ("<!-- begin generated: settings-defaults -->\nno end\n", "has no partner"),
        (
            "<!-- begin generated: settings-defaults -->\n<!-- end generated: rules-of-stage-1 -->",
            "closed by an end marker for 'rules-of-stage-1'",
        ),
    ],
    ids=["unknown stage", "unknown principle", "no end marker", "mismatched end marker"],
)
def test_broken_markers_are_errors_not_silently_kept(text: str, error: str) -> None:
    with pytest.raises(DocsError, match=error):
        fill_sections(text, RULES, page="notes.md")


def test_every_principle_and_stage_has_its_section_required() -> None:
    required = {name for names in REQUIRED_SECTIONS.values() for name in names}
    assert {f"rules-of-principle-{p.value}" for p in Principle} <= required
    assert {f"rules-of-stage-{stage}" for stage in range(4)} <= required


# -- configuration ---------------------------------------------------------------------------


def test_the_documented_defaults_are_the_real_defaults() -> None:
    block = settings_defaults().removeprefix("```toml\n").removesuffix("\n```")
    table = tomllib.loads(block)["tool"]["prodcheck"]
    assert parse_config(table, source="docs") == Config(source="docs")


def test_every_setting_is_explained_in_the_configuration_page() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    settings = [name for name in Config.__dataclass_fields__ if name != "source"]
    missing = [name for name in settings if f"| `{name}` |" not in page]
    assert missing == []


# -- the site --------------------------------------------------------------------------------


def test_the_nav_lists_every_hand_written_page() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [page for item in nav for page in pages(item)]
        if isinstance(nav, dict):
            return [page for value in nav.values() for page in pages(value)]
        return []

    written = {
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*.md")
        if not p.relative_to(DOCS).as_posix().startswith("rules/")
    }
    assert written | {"rules/index.md"} == set(pages(config["nav"]))


def test_every_relative_link_resolves_when_browsing_the_repository() -> None:
    broken = []
    for page in [*DOCS.rglob("*.md")]:
        for target in links(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.is_file() or DOCS not in path.parents:
                broken.append(f"{page.relative_to(DOCS)} -> {target}")
    assert broken == []


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs and mkdocs-material are not installed (they are dev dependencies; CI has them)",
)
def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert completed.returncode == 0, completed.stderr
    assert "WARNING" not in completed.stderr
    assert (tmp_path / "site/rules/BC001/index.html").is_file()
