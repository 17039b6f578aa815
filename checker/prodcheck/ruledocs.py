"""The rule reference, generated from the registry: one Markdown page per rule and an index.

`prodcheck explain ID` prints the same page, so the docs site, the terminal and the SARIF
help text never disagree. The test suite fails when the committed pages are stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent

from prodcheck.findings import STAGE_NAMES
from prodcheck.registry import Registry, Rule

GENERATED_NOTE = "<!-- generated from the rule registry by `make docs`; do not edit by hand -->"


def rule_page(rule: Rule) -> str:
    """The reference page of one rule, in Markdown."""
    stage = (
        f"{rule.stage} ({STAGE_NAMES[rule.stage]})" if rule.stage else "0 (about the audit itself)"
    )
    parts = [
        f"# {rule.id}: {rule.slug}",
        rule.summary,
        "| stage | principle | severity | scope |\n|---|---|---|---|\n"
        f"| {stage} | {rule.principle.value} | {rule.severity.value} | {rule.scope.value} |",
        f"## Why it matters\n\n{rule.rationale}",
        f"## How to fix it\n\n{rule.remedy}",
    ]
    if rule.requires:
        parts.append(
            "Not checked while "
            + ", ".join(f"[{r}]({r}.md)" for r in rule.requires)
            + " fails: its finding already says what is missing."
        )
    if rule.examples is not None:
        parts.append(
            "## Example\n\nFails on this repository:\n\n"
            + _tree(rule.examples.failing)
            + "\n\nPasses on this one:\n\n"
            + _tree(rule.examples.passing)
        )
    if rule.check is not None:
        parts.append(
            "## Ignoring it\n\nOn the line (or in the notebook cell) of a finding: "
            f"`# prodcheck: ignore[{rule.id}] <reason>`. For a whole path, in `pyproject.toml`:\n\n"
            f'```toml\n[tool.prodcheck.per_path_ignores]\n"experiments/**" = ["{rule.id}"]\n```'
        )
    return "\n\n".join(parts) + "\n"


def index_page(registry: Registry) -> str:
    """The table of every rule, grouped by stage."""
    lines = [
        GENERATED_NOTE,
        "# Rule reference",
        "",
        "Errors block their stage; warnings are advice. "
        "Stage 0 rules are notes about the audit itself.",
    ]
    for stage in range(4):
        rules = [r for r in registry if r.stage == stage]
        if not rules:
            continue
        title = STAGE_NAMES[stage] if stage else "about the audit itself"
        lines += [
            "",
            f"## Stage {stage}: {title}",
            "",
            "| id | name | severity | scope | summary |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| [{r.id}]({r.id}.md) | {r.slug} | {r.severity.value} | {r.scope.value} | "
            f"{_cell(r.summary)} |"
            for r in rules
        ]
    return "\n".join(lines) + "\n"


def render_pages(registry: Registry) -> dict[str, str]:
    """Every generated file of docs/rules/, by file name."""
    pages = {f"{r.id}.md": f"{GENERATED_NOTE}\n\n{rule_page(r)}" for r in registry}
    pages["index.md"] = index_page(registry)
    return pages


def stale_pages(directory: Path, registry: Registry) -> list[str]:
    """File names in `directory` that differ from what the registry generates (or are extra)."""
    expected = render_pages(registry)
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]
    extra = (
        [p.name for p in directory.glob("*.md") if p.name not in expected]
        if directory.is_dir()
        else []
    )
    return sorted(stale + extra)


def write_pages(directory: Path, registry: Registry) -> list[str]:
    """Regenerate docs/rules/, removing pages of rules that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    pages = render_pages(registry)
    for page in directory.glob("*.md"):
        if page.name not in pages:
            page.unlink()
    for name, text in pages.items():
        (directory / name).write_text(text, encoding="utf-8")
    return sorted(pages)


def _tree(files: Mapping[str, str]) -> str:
    return "\n\n".join(
        f"`{path}`\n\n```{_fence_language(path)}\n{dedent(text).strip()}\n```"
        for path, text in files.items()
    )


def _fence_language(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1] if "." in path else ""
    return {
        "md": "markdown",
        "py": "python",
        "yml": "yaml",
        "yaml": "yaml",
        "toml": "toml",
        "ipynb": "json",
        "json": "json",
    }.get(suffix, "text")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
