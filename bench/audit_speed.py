#!/usr/bin/env python3
"""How fast is `prodcheck audit` on a large repository, compared with merely reading it?

The design states its performance targets as ratios, not seconds: an audit of a
20,000-file repository within 3x of reading every tracked file once, and FILES mode (what
pre-commit runs) under 300 ms including start-up. Seconds differ between a laptop and a
CI runner; a ratio to a floor measured on the same machine, in the same run, with the same
warm page cache, does not. So this script generates a realistic monorepo-shaped pilot
repository, measures the floor and prodcheck side by side, and prints both.

    .venv/bin/python bench/audit_speed.py                  # 20,000 files, human table
    .venv/bin/python bench/audit_speed.py --files 2000 --json
    .venv/bin/python bench/audit_speed.py --workdir bench/.work --keep --profile

Exit status: 0 when the benchmark ran (targets missed or not, unless --check), 1 with
--check when a measured target was missed, 2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import os
import platform
import pstats
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 2
"""Bump when generated content changes, so a kept repository (--workdir) is regenerated."""

CHECKER_DIR = Path(__file__).resolve().parents[1] / "checker"
AUDIT_RATIO_TARGET = 3.0
FILES_MODE_TARGET_S = 0.300
MIN_FILES = 50

# Shares of the non-Python files; Python modules fill whatever is left, which gives about
# 12,000 .py and 2,000 notebooks per 20,000 files, as in the design's measurement.
KIND_SHARES: dict[str, float] = {
    "ipynb": 0.10,
    "md": 0.06,
    "csv": 0.06,
    "yaml": 0.06,
    "json": 0.04,
    "sql": 0.03,
    "sh": 0.02,
    "txt": 0.02,
}
LARGE_CSV_SHARE = 0.08
"""Share of CSV files over 100 KB: the data exports a legacy pilot commits."""
PY_FLAVOURS: dict[str, float] = {
    "plain": 0.80,
    "pandas": 0.11,
    "train": 0.03,
    "fastapi": 0.02,
    "flask": 0.01,
    "secret": 0.005,
    "py2": 0.002,
}
MODULES_PER_DIR = 25
NOTEBOOKS_PER_DIR = 20

WORDS = [
    "customer",
    "churn",
    "score",
    "feature",
    "window",
    "order",
    "invoice",
    "region",
    "session",
    "event",
    "sensor",
    "price",
    "forecast",
    "segment",
    "cohort",
    "label",
    "batch",
    "model",
    "metric",
    "report",
    "account",
    "basket",
    "claim",
    "device",
    "demand",
    "margin",
    "policy",
    "ranking",
    "signal",
    "supplier",
    "ticket",
    "tenure",
    "usage",
    "visit",
    "weather",
]
SERVICES = [
    "churn",
    "pricing",
    "forecast",
    "fraud",
    "recsys",
    "search",
    "ranking",
    "ltv",
    "demand",
    "anomaly",
    "routing",
    "credit",
    "support",
    "inventory",
    "marketing",
    "vision",
    "nlp",
    "ads",
    "payments",
    "logistics",
]
USERS = ["alice", "bob", "chen", "dana", "emeka", "farah"]


# -- the synthetic repository ---------------------------------------------------------------


@dataclass
class RepoManifest:
    """What was generated: enough to describe the tree and to pick FILES-mode files."""

    root: str
    files: int = 0
    bytes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    large_csv: int = 0
    samples: dict[str, str] = field(default_factory=dict)
    """One path per interesting category (a FastAPI app, a notebook...), first one wins."""
    git: bool = False
    generated_in_s: float = 0.0
    reused: bool = False


class RepoWriter:
    """Writes files under `root` and keeps the manifest's counts as it goes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = RepoManifest(root=str(root))
        self._kinds: Counter[str] = Counter()
        self._dirs: set[Path] = set()
        self._paths: set[str] = set()

    def write(
        self, rel: str, content: str | bytes, *, kind: str, sample: str | None = None
    ) -> None:
        if rel in self._paths:  # the manifest promises exactly --files distinct files
            raise RuntimeError(f"generator bug: {rel} written twice")
        self._paths.add(rel)
        target = self.root / rel
        if target.parent not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(target.parent)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
        self.manifest.files += 1
        self.manifest.bytes += len(data)
        self._kinds[kind] += 1
        if sample is not None:
            self.manifest.samples.setdefault(sample, rel)

    def finish(self) -> RepoManifest:
        self.manifest.by_kind = dict(self._kinds.most_common())
        return self.manifest


def plan_counts(total: int) -> tuple[int, dict[str, int]]:
    """How many services and files of each kind make up `total` files exactly."""
    services = max(1, total // 1000)
    counts = {kind: int(total * share) for kind, share in KIND_SHARES.items()}
    counts["py"] = total - len(ROOT_FILES) - 4 * services - sum(counts.values())
    return services, counts


def service_name(index: int) -> str:
    base = SERVICES[index % len(SERVICES)]
    return base if index < len(SERVICES) else f"{base}{index // len(SERVICES) + 1}"


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(WORDS, k=count))


def ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choices(WORDS, k=parts))


def generate_repo(root: Path, total: int, seed: int) -> RepoManifest:
    """Write a deterministic monorepo-shaped legacy pilot of exactly `total` files."""
    rng = random.Random(seed)
    writer = RepoWriter(root)
    services, counts = plan_counts(total)
    names = [service_name(i) for i in range(services)]
    csv_rows = _csv_row_pool(rng)
    for rel, (kind, build) in ROOT_FILES.items():
        writer.write(rel, build(rng), kind=kind)
    for name in names:
        _write_service_files(writer, rng, name)
    _write_python(writer, rng, names, counts["py"])
    _write_notebooks(writer, rng, names, counts["ipynb"])
    _write_csv(writer, rng, counts["csv"], csv_rows)
    _write_yaml(writer, rng, names, counts["yaml"])
    _write_misc(writer, rng, names, counts)
    return writer.finish()


def _write_service_files(writer: RepoWriter, rng: random.Random, name: str) -> None:
    base = f"services/{name}"
    writer.write(
        f"{base}/Dockerfile", dockerfile(rng, name), kind="Dockerfile", sample="dockerfile"
    )
    writer.write(f"{base}/requirements.txt", requirements(rng), kind="requirements.txt")
    writer.write(f"{base}/pyproject.toml", pyproject(rng, name), kind="toml")
    writer.write(f"{base}/README.md", markdown_doc(rng, f"The {name} service"), kind="md")


def _write_python(writer: RepoWriter, rng: random.Random, services: list[str], count: int) -> None:
    flavours, weights = list(PY_FLAVOURS), list(PY_FLAVOURS.values())
    for i in range(count):
        service = services[i % len(services)]
        pkg = service.replace("-", "_")
        slot = i // len(services)
        area, position = divmod(slot, MODULES_PER_DIR)
        if slot % 7 == 6:  # about one module in seven is a test
            rel = f"services/{service}/tests/area{area:02d}/test_{ident(rng)}_{slot}.py"
            writer.write(rel, python_test(rng, pkg, area), kind="py")
            continue
        folder = f"services/{service}/src/{pkg}/area{area:02d}"
        if position == 0:
            writer.write(f"{folder}/__init__.py", f'"""Area {area} of {pkg}."""\n', kind="py")
            continue
        flavour = rng.choices(flavours, weights)[0]
        rel = f"{folder}/{ident(rng)}_{slot}.py"
        writer.write(rel, python_module(rng, pkg, flavour), kind="py", sample=f"py-{flavour}")


def _write_notebooks(
    writer: RepoWriter, rng: random.Random, services: list[str], count: int
) -> None:
    for i in range(count):
        folder, position = divmod(i, NOTEBOOKS_PER_DIR)
        if i % 7 == 3:  # some notebooks live beside the service that grew out of them
            base = f"services/{services[i % len(services)]}/notebooks"
        else:
            base = f"notebooks/{USERS[folder % len(USERS)]}/2024-{folder % 12 + 1:02d}-{folder:03d}"
        rel = f"{base}/{position:02d}_{ident(rng)}_{i}.ipynb"
        writer.write(rel, notebook(rng), kind="ipynb", sample="notebook")


def _write_csv(writer: RepoWriter, rng: random.Random, count: int, rows: list[str]) -> None:
    large = max(1, round(count * LARGE_CSV_SHARE)) if count else 0
    for i in range(count):
        stage = "raw" if i % 3 else "processed"
        rel = f"data/{stage}/{WORDS[i % len(WORDS)]}/part_{i:04d}.csv"
        size = rng.randint(110_000, 400_000) if i < large else rng.randint(600, 16_000)
        writer.write(rel, csv_file(rng, rows, size), kind="csv")
    writer.manifest.large_csv = large


def _write_yaml(writer: RepoWriter, rng: random.Random, services: list[str], count: int) -> None:
    builders = (k8s_deployment, k8s_service, app_config, ci_workflow)
    for i in range(count):
        service = services[i % len(services)]
        build = builders[i % len(builders)]
        if build is ci_workflow:
            rel = f"services/{service}/ci/{ident(rng)}_{i}.yml"
        elif build is app_config:
            rel = f"configs/{service}/{ident(rng)}_{i}.yaml"
        else:
            rel = f"deploy/k8s/{service}/{build.__name__.removeprefix('k8s_')}_{i}.yaml"
        writer.write(rel, build(rng, service), kind="yaml", sample=f"yaml-{build.__name__}")


def _write_misc(
    writer: RepoWriter, rng: random.Random, services: list[str], counts: dict[str, int]
) -> None:
    for i in range(counts["md"]):
        rel = f"docs/{WORDS[i % len(WORDS)]}/{ident(rng)}_{i}.md"
        writer.write(rel, markdown_doc(rng, words(rng, 4).capitalize()), kind="md")
    for i in range(counts["json"]):
        rel = f"configs/{services[i % len(services)]}/schema_{i:04d}.json"
        writer.write(rel, feature_schema(rng), kind="json")
    for i in range(counts["sql"]):
        rel = f"sql/{WORDS[i % len(WORDS)]}/query_{i:04d}.sql"
        writer.write(rel, sql_query(rng), kind="sql")
    for i in range(counts["sh"]):
        rel = f"scripts/{services[i % len(services)]}/run_{i:04d}.sh"
        writer.write(rel, shell_script(rng), kind="sh")
    for i in range(counts["txt"]):
        rel = f"reports/{USERS[i % len(USERS)]}/summary_{i:04d}.txt"
        writer.write(rel, words(rng, rng.randint(60, 400)) + "\n", kind="txt")


# -- file contents ----------------------------------------------------------------------------


def python_module(rng: random.Random, pkg: str, flavour: str) -> str:
    """A small module; flavours add what the rules look for (read_csv, an app, a secret)."""
    header = f'"""{words(rng, 6).capitalize()}."""\n\nfrom __future__ import annotations\n\n'
    imports = ["import logging", "from pathlib import Path"]
    imports += rng.sample(
        [
            "import os",
            "import json",
            "import numpy as np",
            "from typing import Any",
            "import datetime as dt",
        ],
        k=2,
    )
    constant = f"{ident(rng).upper()} = {rng.randint(1, 999)}"
    body = [f"logger = logging.getLogger(__name__)\n\n{constant}\n"]
    if flavour == "pandas":
        imports.append("import pandas as pd")
        body.append(_pandas_loader(rng))
    elif flavour in ("fastapi", "flask"):
        imports += _web_imports(flavour)
        body.append(_web_app(rng, pkg, flavour))
    elif flavour == "train":
        imports += [
            "import joblib",
            "import pandas as pd",
            "from sklearn.ensemble import RandomForestClassifier",
        ]
        body.append(_training(rng))
    elif flavour == "secret":
        key = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))
        password = f"{ident(rng)}{rng.randint(10, 99)}"
        body.append(f'AWS_ACCESS_KEY_ID = "AKIA{key}"\nDB_PASSWORD = "{password}"\n')
    elif flavour == "py2":
        body.append(f'print "loading {ident(rng)}"\nexcept_value = 0777\n')
    body += [_function(rng) for _ in range(rng.randint(2, 9))]
    if rng.random() < 0.4:
        body.append(_class(rng))
    return header + "\n".join(sorted(imports)) + "\n\n\n" + "\n\n".join(body)


def _pandas_loader(rng: random.Random) -> str:
    name = ident(rng)
    if rng.random() < 0.3:
        path = f"/Users/{rng.choice(USERS)}/Downloads/{name}_export.csv"
    else:
        path = f"data/raw/{rng.choice(WORDS)}/part_{rng.randint(0, 999):04d}.csv"
    return (
        f"def load_{name}() -> pd.DataFrame:\n"
        f'    """Load the {name.replace("_", " ")} extract."""\n'
        f'    frame = pd.read_csv("{path}")\n'
        f'    frame = frame.dropna(subset=["{rng.choice(WORDS)}"])\n'
        f'    return frame[frame["{rng.choice(WORDS)}"] > {rng.randint(0, 50)}]\n'
    )


def _web_imports(flavour: str) -> list[str]:
    if flavour == "fastapi":
        return ["import joblib", "from fastapi import FastAPI", "from pydantic import BaseModel"]
    return ["import joblib", "from flask import Flask, jsonify, request"]


def _web_app(rng: random.Random, pkg: str, flavour: str) -> str:
    features = rng.sample(WORDS, k=4)
    if flavour == "flask":
        return (
            f'app = Flask(__name__)\nmodel = joblib.load("models/{pkg}.pkl")\n\n\n'
            '@app.route("/predict", methods=["POST"])\ndef predict():\n'
            "    payload = request.get_json()\n"
            f"    row = [[payload[name] for name in {features!r}]]\n"
            '    return jsonify({"prediction": float(model.predict(row)[0])})\n'
        )
    fields = "".join(f"    {name}: float\n" for name in features)
    return (
        f'app = FastAPI(title="{pkg}")\nmodel = joblib.load("models/{pkg}.pkl")\n\n\n'
        f"class PredictRequest(BaseModel):\n{fields}\n\n"
        '@app.get("/healthz")\ndef healthz() -> dict[str, str]:\n'
        '    return {"status": "ok"}\n\n\n'
        '@app.post("/predict")\ndef predict(request: PredictRequest) -> dict[str, float]:\n'
        f"    row = [[getattr(request, name) for name in {features!r}]]\n"
        '    return {"prediction": float(model.predict(row)[0])}\n'
    )


def _training(rng: random.Random) -> str:
    target, source = rng.choice(WORDS), f"data/processed/{rng.choice(WORDS)}/part_0001.csv"
    return (
        f'def train(path: str = "{source}") -> None:\n'
        "    frame = pd.read_csv(path)\n"
        f'    features = frame.drop(columns=["{target}"])\n'
        f"    model = RandomForestClassifier(n_estimators={rng.choice([100, 200, 500])})\n"
        f'    model.fit(features, frame["{target}"])\n'
        '    joblib.dump(model, "models/model.pkl")\n'
    )


def _function(rng: random.Random) -> str:
    name, arg, threshold = ident(rng), rng.choice(WORDS), f"{rng.random():.2f}"
    return (
        f"def {name}({arg}s: list[float], threshold: float = {threshold}) -> list[float]:\n"
        f'    """{words(rng, 8).capitalize()}."""\n'
        "    result = []\n"
        f"    for {arg} in {arg}s:\n"
        f"        if {arg} > threshold:\n"
        f"            result.append({arg} * {rng.randint(2, 9)})\n"
        f'    logger.debug("{name}: %d kept", len(result))\n'
        "    return result\n"
    )


def _class(rng: random.Random) -> str:
    name = "".join(w.capitalize() for w in rng.choices(WORDS, k=2))
    field_names = rng.sample(WORDS, k=3)
    assigns = "".join(f"        self.{f} = {f}\n" for f in field_names)
    return (
        f'class {name}:\n    """{words(rng, 7).capitalize()}."""\n\n'
        f"    def __init__(self, {', '.join(field_names)}):\n{assigns}\n"
        "    def as_dict(self) -> dict:\n        return dict(vars(self))\n"
    )


def python_test(rng: random.Random, pkg: str, area: int) -> str:
    tests = "\n\n".join(
        f"def test_{ident(rng)}() -> None:\n    assert {rng.randint(1, 9)} * 2 > 1\n"
        for _ in range(rng.randint(2, 6))
    )
    return f"import pytest\n\nfrom {pkg}.area{area:02d} import *  # noqa: F403\n\n\n{tests}"


NOTEBOOK_SNIPPETS = (
    "import pandas as pd\nimport numpy as np\nimport matplotlib.pyplot as plt\n%matplotlib inline",
    'df = pd.read_csv("../data/raw/{word}/part_{num:04d}.csv")\ndf.head()',
    'df = pd.read_csv("/Users/{user}/Downloads/{word}_export.csv")\ndf.shape',
    "df.describe()",
    "df['{word}'].value_counts().plot(kind='bar')",
    "from sklearn.model_selection import train_test_split\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)",
    "from sklearn.ensemble import RandomForestClassifier\n"
    "model = RandomForestClassifier(n_estimators={num})\nmodel.fit(X_train, y_train)\n"
    "model.score(X_test, y_test)",
    "import joblib\njoblib.dump(model, '../models/{word}.pkl')",
    "!pip install xgboost==1.7.6",
    "features = [c for c in df.columns if c.startswith('{word}')]\nlen(features)",
    "df = df[df['{word}'] > {num}].copy()\ndf['{word}_log'] = np.log1p(df['{word}'])",
)


def notebook(rng: random.Random) -> str:
    """A valid nbformat 4.5 notebook: code and markdown cells, some with real-looking outputs."""
    executed = rng.random() < 0.8
    cells: list[dict[str, Any]] = []
    images_left = 1 if rng.random() < 0.15 else 0
    for index in range(rng.randint(6, 24)):
        cell_id = f"{index:03d}{rng.getrandbits(32):08x}"
        if rng.random() < 0.3:
            text = f"## {words(rng, 4).capitalize()}\n\n{words(rng, rng.randint(10, 60))}."
            cells.append(
                {
                    "cell_type": "markdown",
                    "id": cell_id,
                    "metadata": {},
                    "source": _source_lines(text),
                }
            )
            continue
        source = rng.choice(NOTEBOOK_SNIPPETS).format(
            word=rng.choice(WORDS), num=rng.randint(1, 500), user=rng.choice(USERS)
        )
        count = index + 1 if executed else None
        outputs = _outputs(rng, count, images_left > 0) if executed else []
        images_left -= any(o.get("output_type") == "display_data" for o in outputs)
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "id": cell_id,
                "metadata": {},
                "outputs": outputs,
                "source": _source_lines(source),
            }
        )
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.10.12"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


def _source_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _outputs(rng: random.Random, count: int | None, image: bool) -> list[dict[str, Any]]:
    roll = rng.random()
    if image and roll < 0.2:
        png = base64.b64encode(rng.randbytes(rng.randint(3_000, 15_000))).decode("ascii")
        return [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"image/png": png, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
            }
        ]
    if roll < 0.45:
        lines = [f"{ident(rng)}: {rng.random():.4f}\n" for _ in range(rng.randint(1, 8))]
        return [{"output_type": "stream", "name": "stdout", "text": lines}]
    if roll < 0.75:
        columns = rng.sample(WORDS, k=5)
        rows = [[f"{rng.random() * 100:.2f}" for _ in columns] for _ in range(5)]
        plain = ["  ".join(columns) + "\n"] + ["  ".join(r) + "\n" for r in rows]
        html = (
            "<table>\n<thead><tr>"
            + "".join(f"<th>{c}</th>" for c in columns)
            + "</tr></thead>\n<tbody>\n"
            + "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>\n" for r in rows)
            + "</tbody>\n</table>"
        )
        return [
            {
                "output_type": "execute_result",
                "execution_count": count,
                "metadata": {},
                "data": {"text/plain": plain, "text/html": _source_lines(html)},
            }
        ]
    return []


def _csv_row_pool(rng: random.Random) -> list[str]:
    """Rows drawn once and sliced per file: random per-file rows would dominate generation."""
    return [
        f"{i},{rng.choice(SERVICES)},{rng.random() * 1000:.3f},{rng.randint(0, 1)},"
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.choice(WORDS)}\n"
        for i in range(4000)
    ]


def csv_file(rng: random.Random, rows: list[str], size: int) -> str:
    """About `size` bytes of rows, starting at a random place in the pool."""
    parts = ["id,segment,amount,label,date,category\n"]
    written, index = len(parts[0]), rng.randrange(len(rows))
    while written < size:
        parts.append(rows[index % len(rows)])
        written += len(parts[-1])
        index += 1
    return "".join(parts)


def markdown_doc(rng: random.Random, title: str) -> str:
    sections = [f"# {title}\n"]
    for _ in range(rng.randint(2, 6)):
        bullets = "".join(f"- {words(rng, rng.randint(3, 9))}\n" for _ in range(rng.randint(0, 5)))
        paragraph = words(rng, rng.randint(30, 120))
        sections.append(f"## {words(rng, 3).capitalize()}\n\n{paragraph}.\n\n{bullets}")
    if rng.random() < 0.3:
        sections.append(f"```bash\nmake {rng.choice(WORDS)}\n```\n")
    return "\n".join(sections)


def dockerfile(rng: random.Random, name: str) -> str:
    if rng.random() < 0.5:  # the legacy kind: unpinned, root, shell-form CMD
        return (
            "FROM python:latest\nCOPY . /app\nWORKDIR /app\n"
            "RUN pip install -r requirements.txt\n"
            f"CMD python -m {name}.serve\n"
        )
    return (
        "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE} AS build\n"
        "WORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir --prefix=/install -r requirements.txt\n\n"
        "FROM ${BASE_IMAGE}\nCOPY --from=build /install /usr/local\nWORKDIR /app\n"
        "COPY src/ ./src/\nRUN useradd --uid 10001 app\nUSER app\nEXPOSE 8000\n"
        'HEALTHCHECK CMD ["python", "-c", "import urllib.request as u; '
        "u.urlopen('http://localhost:8000/healthz')\"]\n"
        f'CMD ["uvicorn", "{name}.service:app", "--host", "0.0.0.0", "--port", "8000"]\n'
    )


def requirements(rng: random.Random) -> str:
    pins = [
        "pandas==2.1.4",
        "numpy==1.26.3",
        "scikit-learn==1.4.0",
        "fastapi==0.110.0",
        "uvicorn==0.27.1",
        "joblib==1.3.2",
        "mlflow==2.10.2",
        "pydantic==2.6.1",
        "prometheus-client==0.20.0",
        "pyyaml==6.0.1",
        "requests",
        "matplotlib",
    ]
    return "\n".join(rng.sample(pins, k=rng.randint(4, len(pins)))) + "\n"


def pyproject(rng: random.Random, name: str) -> str:
    return (
        f'[project]\nname = "{name}"\nversion = "0.{rng.randint(1, 9)}.0"\n'
        'requires-python = ">=3.10"\ndependencies = ["pandas>=2", "scikit-learn>=1.3"]\n\n'
        '[tool.ruff]\nline-length = 100\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    )


def k8s_deployment(rng: random.Random, service: str) -> str:
    probes = (
        "        readinessProbe:\n          httpGet: {path: /readyz, port: 8000}\n"
        "        livenessProbe:\n          httpGet: {path: /healthz, port: 8000}\n"
        if rng.random() < 0.5
        else ""
    )
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {service}\n"
        f"  labels: {{app: {service}}}\nspec:\n  replicas: {rng.randint(1, 4)}\n"
        f"  selector:\n    matchLabels: {{app: {service}}}\n  template:\n"
        f"    metadata:\n      labels: {{app: {service}}}\n    spec:\n      containers:\n"
        f"      - name: {service}\n"
        f"        image: registry.example.com/{service}:{rng.randint(1, 90)}\n"
        "        ports:\n        - containerPort: 8000\n"
        "        resources:\n          limits: {cpu: 500m, memory: 512Mi}\n" + probes
    )


def k8s_service(rng: random.Random, service: str) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {service}\nspec:\n"
        f"  selector: {{app: {service}}}\n  ports:\n  - port: 80\n    targetPort: 8000\n"
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {service}-config\n"
        f'data:\n  LOG_LEVEL: info\n  THRESHOLD: "{rng.random():.2f}"\n'
    )


def app_config(rng: random.Random, service: str) -> str:
    entries = "".join(f"  {w}: {rng.randint(1, 1000)}\n" for w in rng.sample(WORDS, k=6))
    return (
        f"service: {service}\nenvironment: {rng.choice(['dev', 'staging', 'prod'])}\n"
        f"model_uri: models:/{service}@champion\nfeatures:\n"
        + "".join(f"  - {w}\n" for w in rng.sample(WORDS, k=5))
        + f"thresholds:\n{entries}"
    )


def ci_workflow(rng: random.Random, service: str) -> str:
    return (
        f"name: {service} CI\non:\n  push:\n    branches: [main]\n  pull_request:\n"
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@v5\n"
        "        with:\n          python-version: '3.11'\n"
        f"      - run: pip install -r services/{service}/requirements.txt\n"
        f"      - run: pytest services/{service}/tests -q\n"
    )


def feature_schema(rng: random.Random) -> str:
    fields = [
        {"name": w, "type": rng.choice(["float", "int", "string"]), "nullable": rng.random() < 0.3}
        for w in rng.sample(WORDS, k=rng.randint(3, 10))
    ]
    return json.dumps({"version": rng.randint(1, 5), "fields": fields}, indent=2) + "\n"


def sql_query(rng: random.Random) -> str:
    table, cols = rng.choice(WORDS), rng.sample(WORDS, k=4)
    return (
        f"-- {words(rng, 6)}\nSELECT {', '.join(cols)}\nFROM analytics.{table}\n"
        f"WHERE {cols[0]} > {rng.randint(0, 100)}\n  AND created_at >= DATE '2024-01-01'\n"
        f"ORDER BY {cols[1]} DESC;\n"
    )


def shell_script(rng: random.Random) -> str:
    return (
        f"#!/usr/bin/env bash\nset -euo pipefail\n# {words(rng, 6)}\n"
        f'python -m {rng.choice(SERVICES)}.pipeline --date "$1" '
        f"--limit {rng.randint(10, 9999)}\n"
    )


def _business_case(rng: random.Random) -> str:
    return (
        "---\ntitle: Reduce churn with a propensity model\nowner: dana@example.com\n"
        "sponsor: vp-retention@example.com\n"
        "problem: >-\n  Monthly churn costs about 1.2M EUR a year.\n"
        "baseline:\n  metric: monthly churn rate\n  value: 0.052\nsuccess_metrics:\n"
        "  - name: monthly churn rate\n    target: 0.045\n    unit: ratio\n"
        "  - name: p95 latency\n    target: 200\n    unit: ms\n"
        "value:\n  annual_benefit_eur: 1200000\n  annual_cost_eur: 300000\nroi: 3.0\n"
        "decision_date: 2025-03-31\n---\n\n" + markdown_doc(rng, "Business case")
    )


ROOT_FILES: dict[str, tuple[str, Callable[[random.Random], str | bytes]]] = {
    "README.md": ("md", lambda rng: markdown_doc(rng, "Churn pilot monorepo")),
    "pyproject.toml": ("toml", lambda rng: pyproject(rng, "churn-pilot")),
    "requirements.txt": ("requirements.txt", requirements),
    "Dockerfile": ("Dockerfile", lambda rng: dockerfile(rng, "churn")),
    ".gitignore": (
        "other",
        lambda rng: ".venv/\n__pycache__/\n*.pyc\n.ipynb_checkpoints/\nmlruns/\n",
    ),
    ".dockerignore": ("other", lambda rng: ".git\n.venv\nnotebooks/\ndata/\n"),
    "OWNERS": (
        "other",
        lambda rng: (
            "# Who answers for this system\ndana@example.com model owner\n"
            "ml-platform@example.com on-call\n"
        ),
    ),
    "Makefile": (
        "other",
        lambda rng: "setup:\n\tpip install -r requirements.txt\ntest:\n\tpytest -q\n",
    ),
    "docs/business-case.md": ("md", _business_case),
    ".github/workflows/ci.yml": ("yaml", lambda rng: ci_workflow(rng, "churn")),
    ".github/workflows/retrain.yml": ("yaml", lambda rng: ci_workflow(rng, "forecast")),
    "deploy/k8s/deployment.yaml": ("yaml", lambda rng: k8s_deployment(rng, "churn")),
    "deploy/k8s/service.yaml": ("yaml", lambda rng: k8s_service(rng, "churn")),
    "models/model.pkl": ("binary", lambda rng: b"\x80\x04\x95" + rng.randbytes(20_000)),
}


# -- git --------------------------------------------------------------------------------------


def make_git_repo(root: Path) -> str | None:
    """Commit the tree in one `git add -A`; returns None, or why the repo stays a plain tree.

    The user's global and system git configuration is hidden (GIT_CONFIG_GLOBAL): a global
    excludes file or a signing requirement would otherwise change what gets committed.
    """
    if shutil.which("git") is None:
        return "git is not installed: the repository is a plain directory (as with --no-git)"
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_DATE": "2024-06-01T12:00:00Z",
        "GIT_COMMITTER_DATE": "2024-06-01T12:00:00Z",
    }
    identity = [
        "-c",
        "user.name=prodcheck bench",
        "-c",
        "user.email=bench@example.invalid",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.autocrlf=false",
    ]
    steps = [
        ["git", "init", "-q"],
        ["git", *identity, "add", "-A"],
        ["git", *identity, "commit", "-q", "--no-verify", "-m", "synthetic pilot"],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=root, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(root / ".git", ignore_errors=True)
            return (
                f"`{' '.join(step)}` failed ({done.stderr.strip()[:200]}): the repository is "
                "a plain directory (as with --no-git)"
            )
    return None


# -- measurements -----------------------------------------------------------------------------

LABELS = {
    "a_walk": "(a) floor: read every file, os.walk",
    "a_git": "(a) floor: read every file, git ls-files",
    "b_in_process": "(b) prodcheck audit, in-process",
    "c_process": "(c) prodcheck audit, whole process",
    "d_files_mode": "(d) prodcheck audit FILES, process",
    "python_startup": "    python start-up alone (reference)",
}
TARGETS = {
    "b_in_process": f"<= {AUDIT_RATIO_TARGET:g}x floor",
    "c_process": f"<= {AUDIT_RATIO_TARGET:g}x floor",
    "d_files_mode": f"< {FILES_MODE_TARGET_S * 1000:.0f} ms",
}


@dataclass
class Measurement:
    key: str
    label: str
    runs_s: list[float] = field(default_factory=list)
    met: bool | None = None
    ratio_to_floor: float | None = None
    """Median over the floor's median: what the targets are judged on."""
    best_ratio_to_floor: float | None = None
    """Fastest run over the floor's fastest: steadier than the median on a busy machine."""
    skipped: str | None = None
    detail: str | None = None

    @property
    def target(self) -> str | None:
        """The design target in words; None for the floor and reference rows."""
        return TARGETS.get(self.key)

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.runs_s) if self.runs_s else None

    @property
    def min_s(self) -> float | None:
        return min(self.runs_s) if self.runs_s else None


@dataclass
class Runner:
    """A measurement whose warm-up ran and proved it works, and the action each round times."""

    measurement: Measurement
    action: Callable[[], object]


class Skip(Exception):
    """A measurement cannot be taken here; the message says why, the others go on."""


def run_rounds(runners: list[Runner], repeat: int) -> None:
    """Time every action once per round, `repeat` rounds, interleaved.

    Interleaving matters more than it looks: on a shared machine the load drifts, and
    timing the floor first and the audit a minute later would put that drift into the
    ratio. Within a round both see the same machine.
    """
    active = list(runners)
    for _ in range(repeat):
        for runner in list(active):
            start = time.perf_counter()
            try:
                runner.action()
            except Exception as exc:  # passed its warm-up, failed later: report, do not abort
                runner.measurement.runs_s.clear()
                why = f"{type(exc).__name__}: {exc}"
                runner.measurement.skipped = f"failed after its warm-up: {why}"
                active.remove(runner)
                continue
            runner.measurement.runs_s.append(time.perf_counter() - start)


def read_all_walk(root: str) -> int:
    """The floor: every file read once, in binary, with the cheapest calls Python has.

    Plain strings and the builtin open on purpose: a pathlib object per file would add
    its own cost to the floor and flatter every ratio measured against it.
    """
    total = 0
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            with open(current + os.sep + name, "rb") as handle:  # noqa: PTH123 (see docstring)
                total += len(handle.read())
    return total


def read_all_git(root: str) -> int:
    """The floor as git sees it: list tracked files with `git ls-files`, then read each once."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
    total = 0
    for rel in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if rel:
            with open(root + os.sep + rel, "rb") as handle:  # noqa: PTH123 (see read_all_walk)
                total += len(handle.read())
    return total


def prepare_floor(key: str, read: Callable[[str], int], root: Path) -> Runner:
    """The warm-up read is what puts every file in the page cache before anything is timed."""
    read(str(root))
    return Runner(Measurement(key, LABELS[key]), lambda: read(str(root)))


def import_prodcheck() -> tuple[Callable[..., Any], str | None]:
    """`audit_path`, importing from checker/ when prodcheck is not installed in this Python."""
    note = None
    try:
        from prodcheck.commands.audit import audit_path
    except ImportError:
        sys.path.insert(0, str(CHECKER_DIR))
        note = f"prodcheck is not installed in {sys.executable}; imported from {CHECKER_DIR}"
        try:
            from prodcheck.commands.audit import audit_path
        except ImportError as exc:
            raise Skip(
                f"prodcheck cannot be imported ({exc}); run with the project's .venv/bin/python"
            ) from None
    return audit_path, note


def prepare_in_process(root: Path, expected_files: int, notes: list[str]) -> Runner:
    """`audit_path(root)` called afresh each run: the snapshot's caches last one audit only."""
    audit_path, note = import_prodcheck()
    if note:
        notes.append(note)
    try:
        result = audit_path(root)
    except Exception as exc:  # any crash is the checker's; the bench reports it and goes on
        raise Skip(f"audit_path raised {type(exc).__name__}: {exc}") from None
    snapshot = getattr(result, "snapshot", None)
    if snapshot is not None and len(snapshot.files) != expected_files:
        notes.append(
            f"the audit listed {len(snapshot.files):,} of the {expected_files:,} "
            "generated files, so its times are not comparable with the floor (a "
            "--no-git repository inside another git work tree is listed, and maybe "
            "ignored, by that tree's git)"
        )
    measurement = Measurement(
        "b_in_process", LABELS["b_in_process"], detail=describe_result(result)
    )
    return Runner(measurement, lambda: audit_path(root))


def describe_result(result: Any) -> str:
    """What the audit saw: a check that it really listed the generated files."""
    snapshot = getattr(result, "snapshot", None)
    seen = len(snapshot.files) if snapshot is not None else "?"
    reached = getattr(getattr(result, "verdict", None), "reached", "?")
    findings = len(getattr(result, "findings", []))
    rules = len(getattr(result, "rules", []))
    return f"saw {seen} files, ran {rules} rules, {findings} findings, stage reached {reached}"


def find_cli(override: str | None) -> list[str] | None:
    """The command users run: the console script beside this Python, on PATH, or `-m`."""
    if override:  # made absolute here: the processes run with the generated repo as cwd
        command = shlex.split(override)
        if command and os.sep in command[0]:
            command[0] = str(Path(command[0]).resolve())
        return command
    beside = Path(sys.executable).parent / ("prodcheck.exe" if os.name == "nt" else "prodcheck")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("prodcheck")
    if found:
        return [found]
    if (CHECKER_DIR / "prodcheck" / "__main__.py").is_file():
        return [sys.executable, "-m", "prodcheck"]
    return None


CLI_MISSING = "the prodcheck CLI is not importable yet"
CLI_MISSING_MODULES = ("'prodcheck.cli'", "prodcheck.__main__", "'prodcheck'")


def cli_problem(done: subprocess.CompletedProcess[str]) -> str | None:
    """Why a CLI run does not count as an audit: exit 0 and 1 are verdicts, anything else is not."""
    err = done.stderr.strip()
    if any(f"No module named {name}" in err for name in CLI_MISSING_MODULES):
        return (
            f"{CLI_MISSING} ({err.splitlines()[-1]}); skipped until checker/prodcheck/cli.py exists"
        )
    if done.returncode not in (0, 1) or "Traceback (most recent call last)" in err:
        tail = " | ".join(err.splitlines()[-3:]) or "(no stderr)"
        return f"exit code {done.returncode}: {tail}"
    return None


def run_cli(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One whole prodcheck process; a run that is not a verdict raises, so it is never timed."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    problem = cli_problem(done)
    if problem:
        raise Skip(problem)
    return done


def prepare_cli(
    measurement: Measurement, argv: Sequence[str], cwd: Path, warm_up: Sequence[str] | None = None
) -> Runner:
    """Wall time of a whole `prodcheck` process, start-up included, as a user or hook sees it.

    The warm-up runs `warm_up` (default: `argv` itself), a variant of the same audit that
    may leave something to check, such as a report file.
    """
    try:
        warm = run_cli(warm_up or argv, cwd)
    except OSError as exc:
        raise Skip(f"could not start {argv[0]}: {exc}") from None
    measurement.detail = f"$ {shlex.join(argv)}  (exit {warm.returncode})"
    return Runner(measurement, lambda: run_cli(argv, cwd))


def prepare_whole_process(cli: list[str], root: Path) -> Runner:
    """(c): the warm-up writes its JSON to a scratch file, to prove the timed runs are audits."""
    argv = [*cli, "audit", str(root), "--format", "json", "--output", os.devnull]
    with tempfile.TemporaryDirectory(prefix="prodcheck-bench-out-") as scratch:
        report = Path(scratch) / "report.json"
        runner = prepare_cli(
            Measurement("c_process", LABELS["c_process"]),
            argv,
            root,
            warm_up=[*argv[:-1], str(report)],
        )
        problem = json_report_problem(report)
    if problem:
        raise Skip(problem)
    return runner


def json_report_problem(report: Path) -> str | None:
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"--format json --output did not write a JSON report ({exc})"
    if not isinstance(data, dict) or "schema_version" not in data:
        return "the JSON report has no schema_version: is it the documented report?"
    return None


def prepare_files_mode(cli: list[str], root: Path, files: list[str]) -> Runner:
    """(d): what pre-commit runs: default text format, output to a pipe, paths relative to cwd."""
    label = LABELS["d_files_mode"].replace("FILES", f"FILES ({len(files)} files)")
    return prepare_cli(Measurement("d_files_mode", label), [*cli, "audit", str(root), *files], root)


def prepare_startup() -> Runner:
    """Reference: an interpreter that does nothing, the part of (c) and (d) no code can save."""

    def start() -> object:
        return subprocess.run([sys.executable, "-c", "pass"], check=True)

    start()
    return Runner(Measurement("python_startup", LABELS["python_startup"]), start)


MEMORY_CHILD = """
import json, sys
from pathlib import Path
sys.path.append(sys.argv[2])

def peak_bytes():
    try:  # Linux: the high-water mark of this process's own memory, reset by exec
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    import resource  # elsewhere: ru_maxrss, bytes on macOS, KiB on other systems
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss * (1 if sys.platform == "darwin" else 1024), "ru_maxrss"

from prodcheck.commands.audit import audit_path
from prodcheck.registry import load_rules
load_rules()
imports, source = peak_bytes()
audit_path(Path(sys.argv[1]))
peak, _ = peak_bytes()
print(json.dumps({"imports": imports, "peak": peak, "source": source}))
"""


def measure_memory(root: Path) -> dict[str, Any]:
    """Peak RSS of a fresh child process that runs one audit, and how much the imports reach.

    Chosen over tracemalloc, which sees only Python's own allocator (not libyaml's buffers),
    slows the run it observes and leaves out the interpreter: peak RSS is what a CI runner's
    memory limit compares against. On Linux it is read from /proc/self/status (VmHWM), not
    from getrusage: ru_maxrss survives exec, so a child started by this (larger) process
    would report the parent's size, not its own.
    """
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(root), str(CHECKER_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Skip(f"child audit failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    peak, imports = values["peak"], values["imports"]
    return {
        "method": f"peak RSS ({values['source']}) of a child process running audit_path once",
        "peak_bytes": peak,
        "after_imports_bytes": imports,
        "audit_added_bytes": peak - imports,
    }


def profile_audit(root: Path, top: int) -> str:
    """The top entries by cumulative time of one in-process audit, for finding what dominates."""
    audit_path, _ = import_prodcheck()
    profiler = cProfile.Profile()
    profiler.runcall(audit_path, root)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- orchestration ----------------------------------------------------------------------------


@dataclass
class Report:
    manifest: RepoManifest
    repeat: int
    seed: int
    measurements: list[Measurement] = field(default_factory=list)
    memory: dict[str, Any] | None = None
    profile: str | None = None
    notes: list[str] = field(default_factory=list)

    def get(self, key: str) -> Measurement | None:
        return next((m for m in self.measurements if m.key == key), None)


def attempt(report: Report, key: str, prepare: Callable[[], Runner]) -> Runner | None:
    """Warm one measurement up; a Skip becomes a row that says why, never an aborted benchmark."""
    try:
        runner = prepare()
    except Skip as why:
        report.measurements.append(Measurement(key, LABELS[key], skipped=str(why)))
        return None
    report.measurements.append(runner.measurement)
    return runner


def measure_all(report: Report, args: argparse.Namespace) -> None:
    """Warm every measurement up first (so the page cache is warm for all), then time rounds."""
    root = Path(report.manifest.root)
    runners = [attempt(report, "a_walk", lambda: prepare_floor("a_walk", read_all_walk, root))]
    if report.manifest.git:
        runners.append(attempt(report, "a_git", lambda: prepare_floor("a_git", read_all_git, root)))
    runners.append(
        attempt(
            report,
            "b_in_process",
            lambda: prepare_in_process(root, report.manifest.files, report.notes),
        )
    )
    runners += prepare_processes(report, args, root)
    run_rounds([r for r in runners if r is not None], report.repeat)
    if not args.no_memory:
        try:
            report.memory = measure_memory(root)
        except Skip as why:
            report.notes.append(f"memory not measured: {why}")
    if args.profile:
        report.profile = profile_audit(root, args.profile)


def prepare_processes(report: Report, args: argparse.Namespace, root: Path) -> list[Runner | None]:
    """(c), (d) and the start-up reference; a missing CLI is said once and skips (c) and (d)."""
    cli = None if args.no_cli else find_cli(args.prodcheck)
    if cli is None:
        reason = (
            "--no-cli given"
            if args.no_cli
            else "no prodcheck command found (no console script beside this Python, none on "
            "PATH, no prodcheck/__main__.py); install the project or pass --prodcheck CMD"
        )
        report.measurements += [
            Measurement(key, LABELS[key], skipped=reason) for key in ("c_process", "d_files_mode")
        ]
        return []
    runners = [attempt(report, "c_process", lambda: prepare_whole_process(cli, root))]
    first_skip = report.measurements[-1].skipped
    if first_skip and first_skip.startswith(CLI_MISSING):
        report.measurements.append(
            Measurement("d_files_mode", LABELS["d_files_mode"], skipped=first_skip)
        )
    else:
        files = precommit_files(report.manifest)
        runners.append(
            attempt(report, "d_files_mode", lambda: prepare_files_mode(cli, root, files))
        )
    runners.append(attempt(report, "python_startup", prepare_startup))
    return runners


def precommit_files(manifest: RepoManifest, count: int = 5) -> list[str]:
    """Changed files as a typical commit has them: app code, a loader, a notebook, a Dockerfile."""
    wanted = ["py-fastapi", "py-pandas", "py-plain", "notebook", "dockerfile"]
    chosen = [manifest.samples[k] for k in wanted if k in manifest.samples]
    spare = [path for key, path in sorted(manifest.samples.items()) if key not in wanted]
    return (chosen + spare)[:count]


def judge(report: Report) -> None:
    """Fill each row's ratio to the os.walk floor and whether it meets its design target."""
    floor = report.get("a_walk")
    floor_s = floor.median_s if floor else None
    floor_best = floor.min_s if floor else None
    for m in report.measurements:
        if m.median_s is None or m.min_s is None:
            continue
        if floor_s and floor_best:
            m.ratio_to_floor = m.median_s / floor_s
            m.best_ratio_to_floor = m.min_s / floor_best
        if m.key in ("b_in_process", "c_process") and m.ratio_to_floor is not None:
            m.met = m.ratio_to_floor <= AUDIT_RATIO_TARGET
        elif m.key == "d_files_mode":
            m.met = m.median_s < FILES_MODE_TARGET_S


# -- output -----------------------------------------------------------------------------------


def mib(value: float) -> str:
    return f"{value / 2**20:.1f} MiB"


def ratio_line(report: Report) -> str:
    """The one line to grep: the audit's ratio to the floor against the 3x target."""
    parts, best = [], []
    for key, name in (("b_in_process", "in-process"), ("c_process", "whole process")):
        m = report.get(key)
        if m and m.ratio_to_floor is not None and m.best_ratio_to_floor is not None:
            parts.append(f"{m.ratio_to_floor:.2f}x {name}")
            best.append(f"{m.best_ratio_to_floor:.2f}x")
        else:
            parts.append(f"{name} not measured")
    fastest = f"; fastest runs: {', '.join(best)}" if best else ""
    return f"ratio: audit/floor = {', '.join(parts)} (target <= {AUDIT_RATIO_TARGET:g}x){fastest}"


def human(report: Report) -> str:
    man = report.manifest
    kinds = "  ".join(f"{n:,} {k}" for k, n in man.by_kind.items())
    origin = "reused" if man.reused else f"generated in {man.generated_in_s:.1f} s"
    lines = [
        "prodcheck audit speed (bench/audit_speed.py)",
        f"repository: {man.root}",
        f"  {man.files:,} files, {mib(man.bytes)}, {'git work tree' if man.git else 'no git'}, "
        f"seed {report.seed}, {origin}",
        f"  {kinds}; {man.large_csv} CSV files over 100 KB",
        f"python {platform.python_version()} on {platform.system()}, {os.cpu_count()} CPUs; "
        f"median of {report.repeat} interleaved rounds after 1 warm-up (page cache warm)",
        "",
        f"  {'measurement':<46}{'median':>10}{'min':>9}{'x floor':>9}   {'target':<14}result",
    ]
    for m in report.measurements:
        if m.skipped:
            lines.append(f"  {m.label:<46}{'skipped':>10}   {m.skipped}")
            continue
        ratio = f"{m.ratio_to_floor:.2f}x" if m.ratio_to_floor is not None else "-"
        result = "" if m.met is None else ("ok" if m.met else "MISSED")
        target = m.target or ""
        lines.append(
            f"  {m.label:<46}{m.median_s:>8.3f} s{m.min_s:>7.3f} s{ratio:>9}   {target:<14}{result}"
        )
        if m.detail:
            lines.append(f"  {'':<6}{m.detail}")
    lines += ["", ratio_line(report)]
    if report.memory:
        mem = report.memory
        lines.append(
            f"memory: {mib(mem['peak_bytes'])} {mem['method']} "
            f"(imports alone {mib(mem['after_imports_bytes'])}; the audit raised the "
            f"peak by {mib(mem['audit_added_bytes'])})"
        )
    lines += [f"note: {n}" for n in report.notes]
    if report.profile:
        lines += ["", "cProfile of one in-process audit (cumulative):", report.profile.rstrip()]
    return "\n".join(lines)


def as_json(report: Report) -> str:
    data = {
        "benchmark": "audit_speed",
        "schema_version": 1,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "repeat": report.repeat,
        "warmup": 1,
        "seed": report.seed,
        "targets": {
            "audit_ratio_to_floor": AUDIT_RATIO_TARGET,
            "files_mode_seconds": FILES_MODE_TARGET_S,
        },
        "repository": asdict(report.manifest),
        "measurements": [
            {**asdict(m), "median_s": m.median_s, "min_s": m.min_s, "target": m.target}
            for m in report.measurements
        ],
        "ratio_line": ratio_line(report),
        "memory": report.memory,
        "profile": report.profile,
        "notes": report.notes,
    }
    return json.dumps(data, indent=2)


# -- the repository's life cycle --------------------------------------------------------------


class BenchError(Exception):
    """The benchmark itself cannot run (bad arguments, an unusable work dir): exit 2."""


def progress(message: str) -> None:
    """Progress goes to stderr, so --json output on stdout stays machine-readable."""
    print(f"audit_speed: {message}", file=sys.stderr, flush=True)


@contextmanager
def prepared_repo(args: argparse.Namespace, notes: list[str]) -> Iterator[RepoManifest]:
    """Generate (or, in a --workdir kept earlier, reuse) the repository; remove it unless --keep.

    Reuse is keyed on size, seed, git and GENERATOR_VERSION, recorded in a stamp file beside
    the repository (not inside it, where the audit would see it).
    """
    if args.workdir:
        base = Path(args.workdir).resolve()
        base.mkdir(parents=True, exist_ok=True)
    else:
        base = Path(tempfile.mkdtemp(prefix="prodcheck-bench-"))
    name = f"repo-{args.files}-seed{args.seed}{'-nogit' if args.no_git else ''}"
    root, stamp = base / name, base / f"{name}.json"
    manifest = reuse(root, stamp) if args.workdir else None
    try:
        if manifest is None:
            manifest = build(root, stamp, args, notes)
        else:
            notes.append(f"reused the repository kept at {root} (delete it to regenerate)")
        yield manifest
    finally:
        if args.keep:
            notes.append(f"repository kept at {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
            stamp.unlink(missing_ok=True)
            if not args.workdir:
                shutil.rmtree(base, ignore_errors=True)


def reuse(root: Path, stamp: Path) -> RepoManifest | None:
    """The manifest of a repository this script generated earlier with the same settings."""
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if recorded.get("generator_version") != GENERATOR_VERSION or not root.is_dir():
        return None
    manifest = RepoManifest(**recorded["manifest"])
    manifest.reused = True
    return manifest


def build(root: Path, stamp: Path, args: argparse.Namespace, notes: list[str]) -> RepoManifest:
    if root.exists():
        if not stamp.exists():
            raise BenchError(
                f"{root} exists and was not generated by this script; "
                "remove it or choose another --workdir"
            )
        shutil.rmtree(root)  # an older generator's output
    progress(f"generating {args.files:,} files under {root} ...")
    start = time.perf_counter()
    manifest = generate_repo(root, args.files, args.seed)
    if args.no_git:
        notes.append("--no-git: the repository is a plain directory; the audit walks it")
    else:
        problem = make_git_repo(root)
        manifest.git = problem is None
        if problem:
            notes.append(problem)
    manifest.generated_in_s = time.perf_counter() - start
    stamp.write_text(
        json.dumps({"generator_version": GENERATOR_VERSION, "manifest": asdict(manifest)}),
        encoding="utf-8",
    )
    return manifest


def positive(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time `prodcheck audit` against the floor of reading every file once, "
        "on a generated repository, and report the ratios the design targets."
    )
    parser.add_argument(
        "--files",
        type=positive(MIN_FILES),
        default=20_000,
        help="files in the generated repository (default 20000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--repeat",
        type=positive(1),
        default=5,
        help="timed rounds after one warm-up (default 5); the median counts",
    )
    parser.add_argument(
        "--workdir",
        help="where to generate (default: a new temp dir); a "
        "repository kept here earlier with the same settings is reused",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument("--no-git", action="store_true", help="do not make it a git repository")
    parser.add_argument(
        "--prodcheck",
        metavar="CMD",
        help="command for the process measurements (default: the console script)",
    )
    parser.add_argument(
        "--no-cli", action="store_true", help="skip the process measurements (c) and (d)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child run")
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=15,
        default=0,
        metavar="N",
        help="print the top N (default 15) cumulative cProfile entries of one in-process audit",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a measured design target is missed"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable results on stdout")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    notes: list[str] = []
    try:
        with prepared_repo(args, notes) as manifest:
            report = Report(manifest, args.repeat, args.seed, notes=notes)
            progress(f"measuring: warm-ups, then {args.repeat} interleaved rounds ...")
            measure_all(report, args)
    except (BenchError, OSError) as exc:
        print(f"audit_speed: error: {exc}", file=sys.stderr)
        return 2
    judge(report)
    print(as_json(report) if args.json else human(report))
    missed = any(m.met is False for m in report.measurements)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
