"""Regenerate docs/rules/ from the rule registry (`make docs`); the tests fail when it is stale."""

from pathlib import Path

from prodcheck.registry import load_rules
from prodcheck.ruledocs import write_pages

RULE_DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"

if __name__ == "__main__":
    written = write_pages(RULE_DOCS, load_rules())
    print(f"wrote {len(written)} pages to {RULE_DOCS.relative_to(Path.cwd())}")
