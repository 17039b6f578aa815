"""Pin what generated projects ship (`make template-lock`).

The template's pyproject.toml says what the code needs; template/requirements.lock (runtime,
installed in the image) and template/requirements-dev.lock (runtime + tests and lint, installed
by `make setup`) pin it. Both are universal locks for every Python the template offers, compiled
from a render with default answers (the dependency list does not depend on the answers).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from prodcheck.commands.new import new_project

TEMPLATE = Path(__file__).resolve().parent.parent / "template"
LOCKS = {"requirements.lock": [], "requirements-dev.lock": ["--extra", "dev"]}


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        project = new_project(Path(scratch) / "project", defaults=True, quiet=True)
        for name, extras in LOCKS.items():
            command = ["uv", "pip", "compile", "pyproject.toml", *extras, "--universal"]
            command += ["--python-version", "3.11", "--quiet", "--no-header", "-o", name]
            subprocess.run(command, cwd=project, check=True)
            header = "# Pinned by prodcheck's scripts/lock_template.py; refresh with `make lock`.\n"
            (TEMPLATE / name).write_text(header + (project / name).read_text(), encoding="utf-8")
            print(f"wrote template/{name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
