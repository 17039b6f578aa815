"""`prodcheck rules`: the registry as a table for people or JSON for tools."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from prodcheck.registry import load_rules, rule_as_dict


def rules_json() -> str:
    return json.dumps([rule_as_dict(r) for r in load_rules()], indent=2) + "\n"


def rules_table(width: int = 140) -> str:
    table = Table("id", "stage", "severity", "scope", "name", "summary", box=None, pad_edge=False)
    for rule in load_rules():
        table.add_row(
            rule.id, str(rule.stage), rule.severity.value, rule.scope.value, rule.slug, rule.summary
        )
    console = Console(width=width, no_color=True, highlight=False)
    with console.capture() as capture:
        console.print(table)
    return capture.get()
