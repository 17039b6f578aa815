"""Stage-0 warnings about the audit itself: files it could not read, rules that crashed.

They carry rule ids like any other finding so they can be explained, listed in SARIF and
ignored in configuration, but the engine raises them, not a check.
"""

from prodcheck.engine import RULE_CRASHED
from prodcheck.findings import Principle, Scope, Severity
from prodcheck.registry import RULES, Rule
from prodcheck.snapshot import Problem


def _declare(id: str, slug: str, scope: Scope, summary: str, rationale: str, remedy: str) -> None:
    RULES.add(
        Rule(
            id=id,
            slug=slug,
            stage=0,
            principle=Principle.ENGINEERING,
            severity=Severity.WARNING,
            scope=scope,
            summary=summary,
            rationale=rationale,
            remedy=remedy,
        )
    )


_declare(
    Problem.UNREADABLE.value,
    "unreadable-file",
    Scope.FILE,
    "A file a rule needed could not be read as text (binary content, permissions, I/O error).",
    "A file prodcheck cannot read is a file it cannot judge: the audit says so instead of "
    "passing it silently.",
    "Make the file readable, or, if it is binary by design, give it an extension that says so.",
)
_declare(
    Problem.UNPARSABLE.value,
    "unparsable-file",
    Scope.FILE,
    "A Python module, notebook, YAML or TOML file does not parse.",
    "Broken files usually break the tools that run them too (the notebook server, CI, the "
    "container build); and rules that need the parsed form cannot judge them.",
    "Fix the syntax error at the reported line; for Python 2 code, port it to Python 3.",
)
_declare(
    Problem.TOO_LARGE.value,
    "file-too-large-to-read",
    Scope.FILE,
    "A file over the read limit (`max_file_kb`, default 10 MiB) was not read.",
    "Reading multi-gigabyte files would make the audit slow and memory hungry; large files in "
    "a repository are usually data or model exports that belong elsewhere anyway.",
    "Move data and model binaries out of git (see DATA001 and DATA005), or raise `max_file_kb`.",
)
_declare(
    Problem.SYMLINK.value,
    "symlink-not-followed",
    Scope.FILE,
    "A symlink loops, dangles or points outside the repository, and was not followed.",
    "The audit judges the repository, not whatever a link reaches on the auditor's machine; "
    "a dangling link in a pilot usually points at a file on someone's laptop.",
    "Commit the file itself, or remove the link.",
)
_declare(
    RULE_CRASHED,
    "rule-crashed",
    Scope.REPO,
    "A rule raised an exception; its verdict is unknown.",
    "One broken rule must not hide the verdict of every other rule, so the audit reports the "
    "crash as a warning and goes on.",
    "Report it to the prodcheck maintainers with the message; meanwhile judge the rule by hand.",
)
