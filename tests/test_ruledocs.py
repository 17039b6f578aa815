"""The rule reference is generated from the registry and must be committed up to date."""

from __future__ import annotations

from pathlib import Path

from prodcheck.registry import load_rules
from prodcheck.ruledocs import render_pages, rule_page, stale_pages

RULE_DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def test_committed_rule_docs_are_current() -> None:
    stale = stale_pages(RULE_DOCS, load_rules())
    assert stale == [], f"docs/rules is stale ({', '.join(stale)}): run `make docs` and commit"


def test_every_rule_has_a_page_listed_in_the_index() -> None:
    pages = render_pages(load_rules())
    for rule in load_rules():
        assert f"{rule.id}.md" in pages
        assert f"[{rule.id}]({rule.id}.md)" in pages["index.md"]


def test_a_runnable_rule_page_shows_its_examples_and_how_to_ignore_it() -> None:
    rules = [r for r in load_rules() if r.check is not None]
    assert rules
    for rule in rules:
        page = rule_page(rule)
        assert "Fails on this repository:" in page, rule.id
        assert f"prodcheck: ignore[{rule.id}]" in page, rule.id
