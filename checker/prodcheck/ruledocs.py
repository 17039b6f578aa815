"""The docs generated from the registry, so no page can drift from the rules it describes.

Two kinds of generated text live under `docs/`:

- whole pages: one page per rule (`docs/rules/<ID>.md`) and the rule index;
- generated sections inside hand-written pages: the rules of each principle, the rules of
  each stage, the settings with their defaults. The prose around them is written by hand;
  only the text between `<!-- begin generated: NAME ... -->` and `<!-- end generated: NAME -->`
  is rewritten.

`prodcheck explain ID` prints the same page as `docs/rules/<ID>.md`, so the docs site, the
terminal and the SARIF help text never disagree. Links are relative (`../principles/x.md`),
so they work on the docs site and when browsing the repository; `base_url` turns them into
absolute links to the published site where no relative link can work. The test suite fails
when any generated text is stale (`make docs` regenerates it).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from textwrap import dedent
from typing import Any

from prodcheck.config import Config
from prodcheck.findings import STAGE_NAMES, Principle, Scope, Severity
from prodcheck.registry import Registry, Rule

GENERATED_NOTE = "<!-- generated from the rule registry by `make docs`; do not edit by hand -->"
RULES_DIR = "rules"
PRINCIPLES_DIR = "principles"
STAGES_PAGE = "stages.md"
CONFIGURATION_PAGE = "configuration.md"
TEMPLATE_PAGE = "template.md"

MAX_SHOWN_LINES = 60
"""An example file longer than this is cut to its first SHOWN_WHEN_CUT lines in the docs."""
SHOWN_WHEN_CUT = 20
MAX_SHOWN_LINE_CHARS = 160

_BEGIN = "<!-- begin generated: {name} (from the rule registry by `make docs`; do not edit) -->"
_END = "<!-- end generated: {name} -->"
_SECTION = re.compile(
    r"<!-- begin generated: (?P<name>[a-z0-9-]+)\b[^\n]*?-->\n"
    r"(?P<body>.*?)"
    r"<!-- end generated: (?P<end>[a-z0-9-]+) -->",
    re.DOTALL,
)
_MARKER = re.compile(r"<!-- (?:begin|end) generated: ([a-z0-9-]*)")


class DocsError(ValueError):
    """A hand-written page lacks a generated section it must have, or its markers are broken."""


def principle_page(principle: Principle) -> str:
    """The page of a principle, relative to docs/."""
    return f"{PRINCIPLES_DIR}/{principle.value}.md"


REQUIRED_SECTIONS: Mapping[str, tuple[str, ...]] = {
    STAGES_PAGE: tuple(f"rules-of-stage-{stage}" for stage in STAGE_NAMES),
    CONFIGURATION_PAGE: ("settings-defaults",),
    TEMPLATE_PAGE: ("template-questions",),
    **{principle_page(p): (f"rules-of-principle-{p.value}",) for p in Principle},
}
"""The generated sections each hand-written page must hold, so no rule goes unlisted."""


# -- one rule --------------------------------------------------------------------------------


def rule_page(rule: Rule, *, base_url: str | None = None) -> str:
    """The reference page of one rule, in Markdown (what `prodcheck explain` prints).

    Links are relative to `docs/rules/`; with `base_url` (the published site) they are
    absolute, for places such as SARIF help text where a relative link leads nowhere.
    """

    def link(target: str) -> str:
        return _href(RULES_DIR, target, base_url)

    stage = (
        f"{rule.stage} ({STAGE_NAMES[rule.stage]})" if rule.stage else "0 (about the audit itself)"
    )
    principle = f"[{rule.principle.value}]({link(principle_page(rule.principle))})"
    parts = [
        f"# {rule.id}: {rule.slug}",
        rule.summary,
        "| stage | principle | severity | scope |\n|---|---|---|---|\n"
        f"| {stage} | {principle} | {rule.severity.value} | {rule.scope.value} |",
    ]
    if rule.check is not None:
        parts.append(_how_judged(rule))
    parts += [
        f"## Why it matters\n\n{rule.rationale}",
        f"## How to fix it\n\n{rule.remedy}",
    ]
    if rule.requires:
        parts.append(
            "Not checked while "
            + ", ".join(f"[{r}]({link(f'{RULES_DIR}/{r}.md')})" for r in rule.requires)
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
        parts.append(_ignoring(rule))
    return "\n\n".join(parts) + "\n"


def _how_judged(rule: Rule) -> str:
    blocks = (
        f"An error: it blocks stage {rule.stage} until it is fixed."
        if rule.severity is Severity.ERROR
        else "A warning: advice that never blocks a stage."
    )
    if rule.scope is Scope.FILE:
        reads = ", ".join(f"`{pattern}`" for pattern in rule.files)
        return (
            f"{blocks} Judged file by file ({reads}), so the pre-commit hook runs it on the "
            "files you change."
        )
    return f"{blocks} Judged on the whole repository, in a full audit."


def _ignoring(rule: Rule) -> str:
    return (
        "## Ignoring it\n\n"
        "Where a finding points at a line (or a notebook cell), put "
        f"`# prodcheck: ignore[{rule.id}] <reason>` on that line (anywhere in the cell). "
        "For every file under a path, in `pyproject.toml`:\n\n"
        f'```toml\n[tool.prodcheck.per_path_ignores]\n"experiments/**" = ["{rule.id}"]\n```\n\n'
        f'To turn the rule off everywhere, add it to `ignore = ["{rule.id}"]` under '
        "`[tool.prodcheck]`"
        + (
            "; the verdict then says it was judged on fewer rules."
            if rule.severity is Severity.ERROR
            else "."
        )
    )


# -- the rule index and the generated sections -----------------------------------------------


def index_page(registry: Registry) -> str:
    """The table of every rule, grouped by stage."""
    lines = [
        GENERATED_NOTE,
        "# Rule reference",
        "",
        "Every rule of the standard, by stage. Errors block their stage; warnings are advice "
        "and never block. A principle's page explains why its rules matter; "
        f"[the 30-60-90 path]({_href(RULES_DIR, STAGES_PAGE, None)}) explains the stages. "
        "Stage 0 rules are notes about the audit itself.",
    ]
    for stage in STAGE_NAMES:
        rules = [r for r in registry if r.stage == stage]
        if not rules:
            continue
        title = STAGE_NAMES[stage] if stage else "about the audit itself"
        lines += ["", f"## Stage {stage}: {title}", "", _count_line(rules), ""]
        lines += _table(
            rules,
            RULES_DIR,
            ("id", "name", "principle", "severity", "scope", "summary"),
        )
    return "\n".join(lines) + "\n"


def stage_rules(registry: Registry, stage: int) -> str:
    """The generated section of docs/stages.md listing the rules of one stage."""
    order = list(Principle)
    rules = sorted(
        (r for r in registry if r.stage == stage),
        key=lambda r: (order.index(r.principle), r.id),
    )
    if not rules:
        return "_No rule of this stage exists yet, so no audit can judge it._"
    return "\n".join(
        [
            _count_line(rules),
            "",
            *_table(rules, "", ("id", "principle", "severity", "scope", "summary")),
        ]
    )


def principle_rules(registry: Registry, principle: Principle) -> str:
    """The generated section of a principle's page listing its rules, by stage."""
    rules = [r for r in registry if r.principle is principle]
    if not rules:
        return "_No rule checks this principle yet._"
    return "\n".join(
        [
            _count_line(rules),
            "",
            *_table(
                rules,
                PRINCIPLES_DIR,
                ("id", "name", "stage", "severity", "scope", "summary"),
            ),
        ]
    )


def settings_defaults() -> str:
    """The generated section of docs/configuration.md: every setting with its default."""
    defaults = Config()
    lines = ["```toml", "[tool.prodcheck]"]
    tables: list[str] = []
    for setting in fields(Config):
        if setting.name == "source":
            continue
        value = getattr(defaults, setting.name)
        if isinstance(value, Mapping):
            tables += ["", f"[tool.prodcheck.{setting.name}]"]
            tables += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()]
            if not value:
                tables.append("# empty by default")
        else:
            lines.append(f"{setting.name} = {_toml_value(value)}")
    return "\n".join([*lines, *tables, "```"])


def template_questions() -> str:
    """The generated section of docs/template.md: every question copier.yml asks."""
    from prodcheck.commands.new import questions, template_source

    rows = ["| question | what it asks | default |", "|---|---|---|"]
    for name, spec in questions(template_source()).items():
        asks = str(spec.get("help", ""))
        choices = spec.get("choices")
        if isinstance(choices, Mapping | list):
            values = choices.values() if isinstance(choices, Mapping) else choices
            asks += " (one of " + ", ".join(f"`{value}`" for value in values) + ")"
        default = str(spec.get("default", "")).strip()
        rows.append(f"| `{name}` | {_cell(asks)} | `{_cell(default)}` |")
    return "\n".join(rows)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for the default {value!r}")


def _count_line(rules: list[Rule]) -> str:
    errors = sum(1 for r in rules if r.severity is Severity.ERROR)
    warnings = len(rules) - errors
    return (
        f"{_plural(len(rules), 'rule')}: {_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}."
    )


def _table(rules: Iterable[Rule], page_dir: str, columns: tuple[str, ...]) -> list[str]:
    def cell(rule: Rule, column: str) -> str:
        if column == "id":
            return f"[{rule.id}]({_href(page_dir, f'{RULES_DIR}/{rule.id}.md', None)})"
        if column == "principle":
            target = _href(page_dir, principle_page(rule.principle), None)
            return f"[{rule.principle.value}]({target})"
        return {
            "name": rule.slug,
            "stage": str(rule.stage),
            "severity": rule.severity.value,
            "scope": rule.scope.value,
            "summary": _cell(rule.summary),
        }[column]

    return [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(cell(rule, c) for c in columns) + " |" for rule in rules),
    ]


# -- filling the hand-written pages ----------------------------------------------------------


def section_text(name: str, registry: Registry) -> str:
    """The generated text of the section called `name`."""
    if match := re.fullmatch(r"rules-of-stage-([0-9]+)", name):
        stage = int(match[1])
        if stage in STAGE_NAMES:
            return stage_rules(registry, stage)
    elif match := re.fullmatch(r"rules-of-principle-([a-z-]+)", name):
        principle = next((p for p in Principle if p.value == match[1]), None)
        if principle is not None:
            return principle_rules(registry, principle)
    elif name == "settings-defaults":
        return settings_defaults()
    elif name == "template-questions":
        return template_questions()
    raise DocsError(f"unknown generated section {name!r}")


def fill_sections(text: str, registry: Registry, *, page: str) -> str:
    """`text` with every generated section rewritten from the registry."""

    def filled(match: re.Match[str]) -> str:
        name = match["name"]
        if match["end"] != name:
            raise DocsError(
                f"{page}: generated section {name!r} is closed by an end marker for "
                f"{match['end']!r}"
            )
        return section(name, section_text(name, registry))

    result = _SECTION.sub(filled, text)
    found = [m["name"] for m in _SECTION.finditer(text)]
    markers = _MARKER.findall(text)
    if len(markers) != 2 * len(found):
        raise DocsError(
            f"{page}: a `<!-- begin generated: NAME -->` or `<!-- end generated: NAME -->` "
            "marker has no partner"
        )
    missing = [name for name in REQUIRED_SECTIONS.get(page, ()) if name not in found]
    if missing:
        raise DocsError(
            f"{page} must hold the generated section(s) {', '.join(missing)}: add\n"
            + "\n".join(section(name, "") for name in missing)
        )
    return result


def section(name: str, body: str) -> str:
    """A generated section with its markers, blank lines around the body for Markdown."""
    inner = f"\n{body}\n\n" if body else "\n"
    return f"{_BEGIN.format(name=name)}\n{inner}{_END.format(name=name)}"


# -- the whole docs directory ----------------------------------------------------------------


def render_pages(registry: Registry) -> dict[str, str]:
    """Every generated file of docs/rules/, by file name."""
    pages = {f"{r.id}.md": f"{GENERATED_NOTE}\n\n{rule_page(r)}" for r in registry}
    pages["index.md"] = index_page(registry)
    return pages


def render_docs(docs: Path, registry: Registry) -> dict[str, str]:
    """Every generated text under `docs`, by POSIX path relative to it.

    The rule pages and index in full; every other Markdown page that holds generated sections
    (and every page in REQUIRED_SECTIONS, which must exist) with those sections filled in.
    Raises DocsError when a required page or section is missing or a marker is broken.
    """
    rendered = {f"{RULES_DIR}/{name}": text for name, text in render_pages(registry).items()}
    missing = [page for page in REQUIRED_SECTIONS if not (docs / page).is_file()]
    if missing:
        raise DocsError(
            f"missing hand-written page(s) under {docs}: {', '.join(sorted(missing))}; each "
            "holds an introduction and the generated section(s) "
            + ", ".join(name for page in sorted(missing) for name in REQUIRED_SECTIONS[page])
        )
    for path in sorted(docs.rglob("*.md")):
        page = path.relative_to(docs).as_posix()
        if page.startswith(f"{RULES_DIR}/"):
            continue
        text = path.read_text(encoding="utf-8")
        if page in REQUIRED_SECTIONS or _MARKER.search(text):
            rendered[page] = fill_sections(text, registry, page=page)
    return rendered


def stale_docs(docs: Path, registry: Registry) -> list[str]:
    """Paths under `docs` whose generated text is out of date, missing, or left over."""
    expected = render_docs(docs, registry)
    stale = [
        page
        for page, text in expected.items()
        if not (docs / page).is_file() or (docs / page).read_text(encoding="utf-8") != text
    ]
    return sorted(stale + _left_over(docs, expected))


def write_docs(docs: Path, registry: Registry) -> list[str]:
    """Regenerate everything `render_docs` covers; remove pages of rules that no longer exist.

    Returns the paths that changed (written or removed), relative to `docs`.
    """
    expected = render_docs(docs, registry)
    (docs / RULES_DIR).mkdir(parents=True, exist_ok=True)
    changed = _left_over(docs, expected)
    for page in changed:
        (docs / page).unlink()
    for page, text in expected.items():
        target = docs / page
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(page)
    return sorted(changed)


def _left_over(docs: Path, expected: Mapping[str, str]) -> list[str]:
    """Rule pages of rules that no longer exist."""
    directory = docs / RULES_DIR
    if not directory.is_dir():
        return []
    pages = (f"{RULES_DIR}/{p.name}" for p in directory.glob("*.md"))
    return sorted(page for page in pages if page not in expected)


# -- examples --------------------------------------------------------------------------------


def _tree(files: Mapping[str, str]) -> str:
    if not files:
        return "_an empty repository_"
    return "\n\n".join(_example_file(path, text) for path, text in files.items())


def _example_file(path: str, text: str) -> str:
    if path.endswith(".ipynb"):
        cells = _notebook(text)
        if cells is not None:
            return f"`{path}`, a notebook:\n\n{cells}"
    body = dedent(text).lstrip("\n").rstrip()
    if not body:
        return f"`{path}` (empty)"
    shown, note = _shown(body)
    return f"`{path}`{note}\n\n{_fenced(shown, _fence_language(path))}"


def _notebook(text: str) -> str | None:
    """A notebook's cells (and their outputs) as readable blocks; None if it is not JSON."""
    try:
        notebook = json.loads(text)
    except ValueError:
        return None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None
    blocks = []
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict):
            return None
        kind = str(cell.get("cell_type", "unknown"))
        source = _joined(cell.get("source", "")).rstrip()
        language = {"code": "python", "markdown": "markdown"}.get(kind, "text")
        if source:
            shown, note = _shown(source)
            blocks.append(f"Cell {index} ({kind}){note}:\n\n{_fenced(shown, language)}")
        else:
            blocks.append(f"Cell {index} ({kind}), empty.")
        outputs = [_output(o) for o in cell.get("outputs") or () if isinstance(o, dict)]
        if outputs:
            shown, note = _shown("\n".join(outputs).rstrip())
            blocks.append(f"Output of cell {index}{note}:\n\n{_fenced(shown, 'text')}")
    return "\n\n".join(blocks) if blocks else "_no cells_"


def _output(output: Mapping[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return _joined(output.get("text", "")).rstrip("\n")
    if output.get("output_type") == "error":
        return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    data = output.get("data")
    if not isinstance(data, dict):
        return f"[{output.get('output_type', 'unknown')} output]"
    if "text/plain" in data:
        return _joined(data["text/plain"]).rstrip("\n")
    return ", ".join(f"[{mime} output, {_size(len(_joined(v)))}]" for mime, v in data.items())


def _joined(source: object) -> str:
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


def _shown(body: str) -> tuple[str, str]:
    """`body` cut to what a reader needs, and a note saying what was left out."""
    lines = body.split("\n")
    note = ""
    if len(lines) > MAX_SHOWN_LINES:
        note = (
            f" (its first {SHOWN_WHEN_CUT} of {len(lines):,} lines, "
            f"{_size(len(body.encode('utf-8')))} in all)"
        )
        lines = lines[:SHOWN_WHEN_CUT]
    cut = [
        line if len(line) <= MAX_SHOWN_LINE_CHARS else line[: MAX_SHOWN_LINE_CHARS - 2] + " …"
        for line in lines
    ]
    if cut != lines and not note:
        note = " (long lines cut)"
    return "\n".join(cut), note


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:,.0f} KB"
    return f"{count / 1024 / 1024:,.1f} MB"


def _fenced(body: str, language: str) -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


_LANGUAGES_BY_NAME: Mapping[str, str] = {
    "Dockerfile": "dockerfile",
    "Containerfile": "dockerfile",
    "Makefile": "makefile",
    "GNUmakefile": "makefile",
    "Jenkinsfile": "groovy",
    "OWNERS": "yaml",
}
_LANGUAGES_BY_SUFFIX: Mapping[str, str] = {
    "md": "markdown",
    "py": "python",
    "yml": "yaml",
    "yaml": "yaml",
    "toml": "toml",
    "ipynb": "json",
    "json": "json",
    "cfg": "ini",
    "ini": "ini",
    "sh": "bash",
    "sql": "sql",
    "dockerfile": "dockerfile",
}


def _fence_language(path: str) -> str:
    name = path.rpartition("/")[2]
    if name in _LANGUAGES_BY_NAME:
        return _LANGUAGES_BY_NAME[name]
    if name.startswith(("Dockerfile.", "Containerfile.")):
        return "dockerfile"
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    return _LANGUAGES_BY_SUFFIX.get(suffix.lower(), "text")


# -- small helpers ---------------------------------------------------------------------------


def _href(page_dir: str, target: str, base_url: str | None) -> str:
    """A link from a page in `page_dir` (relative to docs/) to `target` (also relative to it)."""
    if base_url is not None:
        url = target.removesuffix(".md")
        url = url.removesuffix("index") if url.endswith("/index") or url == "index" else url + "/"
        return base_url.rstrip("/") + "/" + url
    return posixpath.relpath(target, page_dir or ".")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
