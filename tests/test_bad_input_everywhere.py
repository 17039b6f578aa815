"""A repository full of broken files: every rule runs, none crashes, the audit completes.

Each broken file is something a real legacy repository contains. A file that a rule needed
and could not read is a warning naming its path (files no rule needed are not read at all);
a broken file the standard cares about is that rule's finding. Never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

from prodcheck.engine import RULE_CRASHED
from tests.helpers import audit_tree

BROKEN = {
    "Dockerfile": "FROM python:3.11-slim\nRUN pip install \\\nCOPYY . /app\nUSER\n",
    ".github/workflows/ci.yml": "- just\n- a list\n",
    ".gitlab-ci.yml": "test: [unclosed\n",
    "notebooks/old.ipynb": json.dumps({"nbformat": 3, "worksheets": [{"cells": []}]}),
    "notebooks/empty.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": []}),
    "notebooks/not_json.ipynb": "{ this is not json",
    "legacy/train.py": 'print "training"\nexec "x = 1"\n',
    "src/app.py": b"\x00\x01binary\x00 named .py",
    "requirements.txt": "-r requirements-base.txt\npandas>=1.5 ; python_version < '3.12'\n",
    "requirements-base.txt": "-r requirements.txt\nnumpy\n",
    "monitoring/alerts.yml": (
        "groups:\n  - name: model\n    rules:\n      - alert: HighErrorRate\n"
        "        expr: rate(http_requests_total{status=~'5..'}[5m\n"
    ),
    "docs/business-case.md": "---\nannual_value: [unclosed\n---\n",
    "OWNERS": "model_owner: @maria\n",
    "pyproject.toml": "[project\nname = 'x'\n",
    "deploy/k8s/deployment.yaml": "kind: Deployment\nspec: {template: [1, 2]}\n---\n- 3\n",
}


def test_every_rule_survives_a_repository_of_broken_files(tmp_path: Path) -> None:
    (tmp_path / "loop-a").symlink_to("loop-b")
    (tmp_path / "loop-b").symlink_to("loop-a")
    (tmp_path / "passwords").symlink_to("/etc/passwd")

    result = audit_tree(tmp_path, BROKEN)

    crashes = [f.message for f in result.findings if f.rule_id == RULE_CRASHED]
    assert crashes == []
    assert result.verdict.reached == 0
    unreadable = {(f.rule_id, f.path) for f in result.findings if f.rule_id.startswith("PC")}
    assert unreadable == {
        ("PC002", ".gitlab-ci.yml"),
        ("PC002", "legacy/train.py"),
        ("PC002", "pyproject.toml"),
        ("PC004", "loop-a"),
        ("PC004", "loop-b"),
        ("PC004", "passwords"),
    }
    judged = {(f.rule_id, f.path) for f in result.findings}
    assert {
        ("BC001", "docs/business-case.md"),
        ("OWN001", "OWNERS"),
        ("ENG002", ".github/workflows/ci.yml"),
        ("ENG003", "requirements.txt"),
    } <= judged
