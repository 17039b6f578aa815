"""Regenerate the docs that come from the rule registry (`make docs`).

Rewrites docs/rules/ (a page per rule and the index) and the generated sections of the
hand-written pages (each principle's rules, each stage's rules, the settings' defaults).
With `--check` it changes nothing and exits 1 when anything is stale, for CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

from prodcheck.registry import load_rules
from prodcheck.ruledocs import DocsError, stale_docs, write_docs

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print("usage: generate_docs.py [--check]", file=sys.stderr)
        return 2
    try:
        if check:
            stale = stale_docs(DOCS, load_rules())
            if stale:
                print(
                    "stale generated docs (run `make docs` and commit): " + ", ".join(stale),
                    file=sys.stderr,
                )
                return 1
            print("generated docs are current")
            return 0
        changed = write_docs(DOCS, load_rules())
    except DocsError as exc:
        print(f"generate_docs: {exc}", file=sys.stderr)
        return 1
    print(
        f"{len(changed)} generated docs changed under docs/" + "".join(f"\n  {p}" for p in changed)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
