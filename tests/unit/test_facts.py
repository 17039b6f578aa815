"""The shared facts helpers: the import index, the statement walk, the line filter."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from prodcheck.config import Config
from prodcheck.rules._facts import (
    import_roots,
    imported_modules,
    modules_importing,
    python_files_containing,
    statements,
)
from prodcheck.rules.data import _wanted_lines
from prodcheck.snapshot import Snapshot
from tests.helpers import build_tree


def scan(root: Path) -> Snapshot:
    return Snapshot.scan(root, Config())


def test_import_roots_and_files_containing(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "a.py": "import os, mlflow.sklearn as m\nfrom google.cloud import storage\n",
            "b.py": "import json  # not mlflow\n",
            "d.py": "",
        },
    )
    repo = scan(tmp_path)
    roots = import_roots(repo)
    assert roots["a.py"] >= {b"os", b"mlflow", b"google"}
    assert b"mlflow" not in roots["b.py"]
    assert "d.py" not in roots
    assert python_files_containing(repo, (b"mlflow", b"zzz")) == ["a.py", "b.py"]
    assert python_files_containing(repo, (b"storage",)) == ["a.py"]


def test_modules_importing_finds_continued_and_nested_imports(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "a.py": "def f():\n    try:\n        import mlflow\n    except ImportError:\n"
            "        pass\n",
            "b.py": b"import os, \\\n    mlflow\n",
            "c.py": "# mlflow is not imported here\nimport json\n",
            "tests/test_x.py": "import mlflow\n",
        },
    )
    found = modules_importing(scan(tmp_path), "mlflow")
    assert [m.path for m in found] == ["a.py", "b.py"]
    found = modules_importing(scan(tmp_path), "mlflow", tests=True)
    assert [m.path for m in found] == ["a.py", "b.py", "tests/test_x.py"]


def test_statements_reach_every_statement_that_walk_does() -> None:
    source = (
        "import a\n"
        "class C:\n    def f(self):\n        import b\n"
        "try:\n    import c\nexcept E:\n    import d\nelse:\n    import e\n"
        "finally:\n    import f\n"
        "match x:\n    case 1:\n        import g\n"
        "for i in y:\n    pass\nelse:\n    from h.i import j\n"
        "x = lambda: __import__('k')\n"
    )
    tree = ast.parse(source)
    walked = {id(n) for n in ast.walk(tree) if isinstance(n, ast.stmt)}
    assert {id(n) for n in statements(tree) if isinstance(n, ast.stmt)} == walked
    assert imported_modules(tree) == {"a", "b", "c", "d", "e", "f", "g", "h.i", "h.i.j"}


def test_wanted_lines_match_a_search_line_by_line() -> None:
    text = "read x\n\nopen and load\nnothing\r\nUsers\nlast read"
    for pattern in (r"read|open|load", r"Users|nothing", r"^read", r"x$", r"\s"):
        interest = re.compile(pattern)
        expected = [n for n, line in enumerate(text.split("\n"), 1) if interest.search(line)]
        assert _wanted_lines(text, interest) == expected
    assert _wanted_lines("", re.compile("read")) == []
