"""DATA001-DATA006: no data or models in git, training from code, configured and validated input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prodcheck.commands.audit import audit_path
from prodcheck.findings import Finding, Severity
from tests.helpers import audit_tree, build_tree, run_rule

KIB = 1024
MIB = 1024 * KIB

Files = dict[str, str | bytes]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def code(*sources: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": "\n".join(sources),
    }


def markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def notebook(*cells: dict[str, Any] | str) -> str:
    """An nbformat 4.4 notebook; a plain string is a code cell."""
    built = [code(c) if isinstance(c, str) else c for c in cells]
    return json.dumps({"cells": built, "metadata": {}, "nbformat": 4, "nbformat_minor": 4})


def line_of(files: Files, finding: Finding) -> str:
    """The source line a .py finding points at."""
    assert finding.path is not None and finding.line is not None, finding
    text = files[finding.path]
    assert isinstance(text, str)
    return text.splitlines()[finding.line - 1].strip()


TRAINING_NOTEBOOK = notebook(
    "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier",
    'frame = pd.read_csv("churn.csv")',
    'model = RandomForestClassifier().fit(frame.drop(columns="churned"), frame.churned)',
)
PIPELINE = """\
from sklearn.linear_model import LogisticRegression

from churn.data.extract import extract


def main() -> None:
    frame = extract()
    LogisticRegression().fit(frame.drop(columns="churned"), frame["churned"])
"""


# -- DATA001: no data exports tracked ----------------------------------------------------------


def test_a_small_csv_passes(tmp_path: Path) -> None:
    assert run_rule("DATA001", tmp_path, {"data/lookup.csv": "plan,price\npro,10\n"}) == []


def test_a_large_csv_export_fails_with_its_size_and_the_limit(tmp_path: Path) -> None:
    files: Files = {"data/crm_export.csv": b"x" * (150 * KIB)}
    finding = only(run_rule("DATA001", tmp_path, files))
    assert finding.path == "data/crm_export.csv"
    assert finding.severity is Severity.ERROR
    assert "`data/crm_export.csv` is a 150.0 KiB data export" in finding.message
    assert "over the 100 KiB limit (`max_data_kb`)" in finding.message


@pytest.mark.parametrize(
    "name",
    [
        "x.csv",
        "x.tsv",
        "x.xls",
        "x.xlsx",
        "x.parquet",
        "x.feather",
        "x.arrow",
        "x.sav",
        "x.dta",
        "EXPORT.CSV",
        "Sales.XLSX",
    ],
)
def test_every_data_export_format_counts(tmp_path: Path, name: str) -> None:
    assert len(run_rule("DATA001", tmp_path, {f"exports/{name}": b"\0" * (101 * KIB)})) == 1


@pytest.mark.parametrize("name", ["x.json", "x.txt", "x.sql", "x.png", "x.csv.bak"])
def test_other_files_are_not_data_exports(tmp_path: Path, name: str) -> None:
    assert run_rule("DATA001", tmp_path, {f"data/{name}": b"x" * (500 * KIB)}) == []


def test_a_file_of_exactly_the_limit_passes(tmp_path: Path) -> None:
    assert run_rule("DATA001", tmp_path, {"data/x.csv": b"x" * (100 * KIB)}) == []


@pytest.mark.parametrize(("limit", "size_kib", "fires"), [(10, 20, True), (500, 150, False)])
def test_the_limit_is_configurable(tmp_path: Path, limit: int, size_kib: int, fires: bool) -> None:
    files: Files = {
        ".prodcheck.toml": f"max_data_kb = {limit}\n",
        "data/x.csv": b"x" * (size_kib * KIB),
    }
    findings = run_rule("DATA001", tmp_path, files)
    assert bool(findings) is fires
    if fires:
        assert f"over the {limit} KiB limit" in findings[0].message


@pytest.mark.parametrize(
    "path",
    [
        "tests/fixtures/customers.csv",
        "services/churn/tests/data/customers.csv",
        "test/data.parquet",
        "docs/examples/sample.csv",
        "services/churn/docs/sample.xlsx",
    ],
)
def test_fixtures_under_tests_and_docs_are_allowed(tmp_path: Path, path: str) -> None:
    assert run_rule("DATA001", tmp_path, {path: b"x" * (300 * KIB)}) == []


def test_configured_fixture_globs_are_allowed(tmp_path: Path) -> None:
    files: Files = {
        ".prodcheck.toml": 'fixtures = ["samples/", "**/golden_*.csv"]\n',
        "samples/big.csv": b"x" * (300 * KIB),
        "src/churn/golden_scores.csv": b"x" * (300 * KIB),
        "data/export.csv": b"x" * (300 * KIB),
    }
    assert [f.path for f in run_rule("DATA001", tmp_path, files)] == ["data/export.csv"]


def test_a_root_file_named_like_a_test_is_still_an_export(tmp_path: Path) -> None:
    assert len(run_rule("DATA001", tmp_path, {"test_set.csv": b"x" * (300 * KIB)})) == 1


def test_an_export_too_large_to_read_is_judged_by_its_size_without_reading_it(
    tmp_path: Path,
) -> None:
    files: Files = {".prodcheck.toml": "max_file_kb = 1\n", "data/x.parquet": b"\0" * (300 * KIB)}
    result = audit_tree(tmp_path, files, select=["DATA001", "PC001", "PC003"])
    assert [f.rule_id for f in result.findings] == ["DATA001"]


def test_pre_commit_judges_the_changed_export(tmp_path: Path) -> None:
    build_tree(tmp_path, {"data/x.csv": b"x" * (300 * KIB), "data/y.csv": b"x" * (300 * KIB)})
    result = audit_path(tmp_path, files=[tmp_path / "data/x.csv"], select=["DATA001"])
    assert [f.path for f in result.findings] == ["data/x.csv"]


# -- DATA005: no model binaries tracked --------------------------------------------------------


def test_a_large_pickle_fails_with_its_size(tmp_path: Path) -> None:
    finding = only(run_rule("DATA005", tmp_path, {"models/churn.pkl": b"\x80" * (3 * MIB)}))
    assert finding.path == "models/churn.pkl"
    assert "`models/churn.pkl` is a 3.0 MiB model binary" in finding.message
    assert "over the 1 MiB limit" in finding.message
    assert "model registry" in finding.message


@pytest.mark.parametrize(
    "name",
    [
        "m.pkl",
        "m.pickle",
        "m.joblib",
        "m.h5",
        "m.hdf5",
        "m.pt",
        "m.pth",
        "m.onnx",
        "model.safetensors",
        "m.keras",
        "last.ckpt",
        "M.PKL",
    ],
)
def test_every_model_format_counts(tmp_path: Path, name: str) -> None:
    assert len(run_rule("DATA005", tmp_path, {f"artifacts/{name}": b"\0" * (MIB + 1)})) == 1


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("models/small.pkl", MIB),
        ("tests/fixtures/model.joblib", 5 * MIB),
        ("services/churn/tests/model.pt", 5 * MIB),
        ("models/weights.bin", 5 * MIB),
    ],
)
def test_small_models_fixtures_and_other_files_pass(tmp_path: Path, path: str, size: int) -> None:
    assert run_rule("DATA005", tmp_path, {path: b"\0" * size}) == []


def test_a_model_under_a_configured_fixture_glob_passes(tmp_path: Path) -> None:
    files: Files = {".prodcheck.toml": 'fixtures = ["golden/"]\n', "golden/m.onnx": b"\0" * 2 * MIB}
    assert run_rule("DATA005", tmp_path, files) == []


# -- DATA002: a pipeline entry point in code ---------------------------------------------------


def test_training_only_in_notebooks_fails_and_names_the_notebooks(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/01_explore.ipynb": notebook('import pandas as pd\npd.read_csv("x.csv")'),
        "notebooks/2024/02_train.ipynb": TRAINING_NOTEBOOK,
    }
    finding = only(run_rule("DATA002", tmp_path, files))
    assert finding.message.startswith(
        "training happens only in notebooks (`notebooks/2024/02_train.ipynb`)"
    )
    assert finding.path is None


def test_a_repository_without_any_training_has_no_entry_point(tmp_path: Path) -> None:
    finding = only(run_rule("DATA002", tmp_path, {"README.md": "# Churn\n"}))
    assert finding.message.startswith("no pipeline entry point: no Python module trains a model")


TRAINING_MODULES = {
    "src layout, scikit-learn": ("src/churn/pipeline.py", PIPELINE),
    "flat script, xgboost": (
        "train.py",
        "import xgboost as xgb\n\nbooster = xgb.train({}, xgb.DMatrix('x'))\n",
    ),
    "monorepo, a torch loop": (
        "services/churn/src/churn/training/loop.py",
        "import torch\n\n\ndef step(model, batch, optimizer):\n"
        "    loss = model(batch).mean()\n    loss.backward()\n    optimizer.step()\n",
    ),
    "keras": (
        "model/fit.py",
        "from tensorflow import keras\n\nmodel = keras.Sequential()\nmodel.fit(x, y, epochs=3)\n",
    ),
    "lightgbm in a __main__": (
        "churn/__main__.py",
        "import lightgbm as lgb\n\nif __name__ == '__main__':\n"
        "    lgb.LGBMClassifier().fit(x, y)\n",
    ),
    "transformers Trainer": (
        "nlp/finetune.py",
        "from transformers import Trainer\n\nTrainer(model=m, train_dataset=d).train()\n",
    ),
}


@pytest.mark.parametrize(("path", "source"), TRAINING_MODULES.values(), ids=TRAINING_MODULES.keys())
def test_a_module_that_trains_is_an_entry_point(tmp_path: Path, path: str, source: str) -> None:
    files: Files = {path: source, "notebooks/02_train.ipynb": TRAINING_NOTEBOOK}
    assert run_rule("DATA002", tmp_path, files) == []


ORCHESTRATORS = {
    "airflow": (
        "dags/churn.py",
        "from airflow import DAG\n\nwith DAG('churn_retrain', schedule='@weekly') as dag:\n"
        "    pass\n",
    ),
    "prefect": (
        "flows/retrain.py",
        "from prefect import flow\n\n\n@flow\ndef retrain():\n    ...\n",
    ),
    "dagster": (
        "assets.py",
        "import dagster as dg\n\n\n@dg.asset\ndef churn_model(features):\n    ...\n",
    ),
    "zenml": (
        "run.py",
        "from zenml import pipeline\n\n\n@pipeline(enable_cache=False)\ndef training():\n    ...\n",
    ),
    "metaflow": (
        "flow.py",
        "from metaflow import FlowSpec, step\n\n\nclass ChurnFlow(FlowSpec):\n    pass\n",
    ),
    "kubeflow": (
        "kfp_pipeline.py",
        "from kfp import dsl\n\n\n@dsl.pipeline\ndef churn():\n    ...\n",
    ),
    "dvc": ("dvc.yaml", "stages:\n  train:\n    cmd: python -m churn.train\n"),
    "mlflow project": (
        "MLproject",
        "name: churn\nentry_points:\n  main:\n    command: python x.py\n",
    ),
    "kedro": ("pyproject.toml", '[tool.kedro]\npackage_name = "churn"\n'),
    "kedro layout": (
        "src/churn/pipeline_registry.py",
        "def register_pipelines():\n    return {}\n",
    ),
    "project script": (
        "pyproject.toml",
        '[project]\nname = "churn"\n[project.scripts]\nchurn-train = "churn.cli:main"\n',
    ),
    "poetry script": (
        "pyproject.toml",
        '[tool.poetry.scripts]\nrun = "churn.pipeline:run"\n',
    ),
    "setup.cfg script": (
        "setup.cfg",
        "[options.entry_points]\nconsole_scripts =\n    churn = churn.training:main\n",
    ),
    "makefile target": (
        "Makefile",
        ".PHONY: train\ntrain: data ## Train the model\n\t$(PYTHON) -m churn.train\n",
    ),
    "makefile pipeline target": ("Makefile", "pipeline:\n\tuv run python -m churn.pipeline\n"),
    "makefile variables": (
        "Makefile",
        "PACKAGE := churn\nPY ?= python3\npipeline:\n\t$(PY) -m $(PACKAGE).pipeline\n",
    ),
    "makefile script": ("Makefile", "train:\n\tpython scripts/train.py --full\n"),
    "makefile console script": ("Makefile", "train:\n\tuv run churn-train\n"),
    "justfile": ("justfile", "retrain:\n    python -m churn.train --full\n"),
}

MAKE_RECIPE_CODE = {
    "src/churn/train.py": "def main() -> None: ...\n",
    "src/churn/pipeline.py": "def main() -> None: ...\n",
    "scripts/train.py": "print('train')\n",
}
"""The code the Makefile cases run: a target counts when what it runs exists."""


@pytest.mark.parametrize(("path", "text"), ORCHESTRATORS.values(), ids=ORCHESTRATORS.keys())
def test_an_orchestrator_or_entry_point_definition_counts(
    tmp_path: Path, path: str, text: str
) -> None:
    files: Files = {path: text, "notebooks/02_train.ipynb": TRAINING_NOTEBOOK}
    if path == "src/churn/pipeline_registry.py":
        files["conf/base/catalog.yml"] = "customers:\n  type: pandas.CSVDataset\n"
    if path in ("Makefile", "justfile"):
        files |= MAKE_RECIPE_CODE
    assert run_rule("DATA002", tmp_path, files) == []


NOT_ENTRY_POINTS = {
    "a test that trains": ("tests/test_model.py", PIPELINE),
    "fitting without a training library": (
        "src/curves.py",
        "from scipy.optimize import curve_fit\n\nparams = curve_fit(f, x, y)\nline.fit(x)\n",
    ),
    "a make target that runs the notebook": (
        "Makefile",
        "train:\n\tjupyter nbconvert --to notebook --execute notebooks/02_train.ipynb\n",
    ),
    "a make target named otherwise": ("Makefile", "serve:\n\tpython -m churn.service\n"),
    "a make target running a module nobody wrote": (
        "Makefile",
        "PACKAGE := churn\npipeline:\n\tpython -m $(PACKAGE).pipeline\n",
    ),
    "a make target running a missing script": ("Makefile", "train:\n\tpython train.py\n"),
    "a dvc.yaml without stages": ("dvc.yaml", "stages: {}\n"),
    "a script entry for the service": (
        "pyproject.toml",
        '[project.scripts]\nchurn-serve = "churn.service:main"\n',
    ),
    "a pipeline registry without conf/base": (
        "src/churn/pipeline_registry.py",
        "def register_pipelines():\n    return {}\n",
    ),
    "a docs snippet that trains": ("docs/snippets/train.py", PIPELINE),
    "Python 2": (
        "src/train.py",
        "from sklearn import svm\nprint 'training'\nsvm.SVC().fit(x, y)\n",
    ),
}


@pytest.mark.parametrize(("path", "text"), NOT_ENTRY_POINTS.values(), ids=NOT_ENTRY_POINTS.keys())
def test_near_misses_are_not_entry_points(tmp_path: Path, path: str, text: str) -> None:
    files: Files = {path: text, "notebooks/02_train.ipynb": TRAINING_NOTEBOOK}
    assert "only in notebooks" in only(run_rule("DATA002", tmp_path, files)).message


def test_a_notebook_cell_that_does_not_parse_does_not_hide_the_training(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/train.ipynb": notebook(
            "import pandas as pd\nfrom sklearn.svm import SVC",
            "for row in (:\n    broken",
            "SVC().fit(X, y)",
        )
    }
    finding = only(run_rule("DATA002", tmp_path, files))
    assert "training happens only in notebooks (`notebooks/train.ipynb`)" in finding.message


def test_a_jupytext_notebook_script_is_a_notebook_not_a_pipeline(tmp_path: Path) -> None:
    script = (
        "# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n#       format_name: percent"
        "\n# ---\n\n# %%\n" + PIPELINE
    )
    finding = only(run_rule("DATA002", tmp_path, {"notebooks/train.py": script}))
    assert "training happens only in notebooks (`notebooks/train.py`)" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        '{"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": []}], "metadata": {}}',
        "{not json",
    ],
    ids=["no cells", "nbformat 3", "not JSON"],
)
def test_unreadable_or_empty_notebooks_do_not_crash(tmp_path: Path, text: str) -> None:
    finding = only(run_rule("DATA002", tmp_path, {"notebooks/x.ipynb": text}))
    assert finding.message.startswith("no pipeline entry point")


# -- DATA003: no hard-coded local data files ---------------------------------------------------


def test_configured_data_location_passes(tmp_path: Path) -> None:
    source = (
        "import pandas as pd\n\nfrom churn.settings import settings\n\n"
        "frame = pd.read_parquet(settings.data_uri)\n"
    )
    assert run_rule("DATA003", tmp_path, {"src/churn/train.py": source}) == []


def test_a_literal_path_read_fails_at_its_line(tmp_path: Path) -> None:
    files: Files = {
        "src/churn/train.py": "import pandas as pd\n\n\ndef load():\n"
        '    return pd.read_csv("data/train.csv")\n'
    }
    finding = only(run_rule("DATA003", tmp_path, files))
    assert finding.message.startswith(
        "`pd.read_csv` reads the hard-coded local file `data/train.csv`: "
    )
    assert (finding.path, finding.line, finding.cell) == ("src/churn/train.py", 5, None)


READS = {
    "polars": ('pl.read_parquet("data/train.parquet")', "pl.read_parquet"),
    "polars lazy": ('pl.scan_csv("/srv/exports/*.csv")', "pl.scan_csv"),
    "pandas excel by keyword": ('pd.read_excel(io="Q3 sales.xlsx")', "pd.read_excel"),
    "numpy load": ('np.load("features.npy")', "np.load"),
    "numpy loadtxt": ('numpy.loadtxt("data/x.txt")', "numpy.loadtxt"),
    "imported reader": ('read_csv("data/x.csv")', "read_csv"),
    "dask": ('dd.read_csv("data/part-*.csv")', "dd.read_csv"),
    "pyarrow": ('pq.read_table("data/x.parquet")', "pq.read_table"),
    "spark": ('spark.read.csv("data/events.csv", header=True)', "spark.read.csv"),
    "spark chain": (
        'spark.read.format("csv").option("header", True).load("data/events")',
        "spark.read....load",
    ),
    "open a data file": ('open("data/train.csv")', "open"),
    "open a compressed export": ('gzip.open("exports/x.csv.gz", "rt")', "gzip.open"),
    "windows relative path": ('pd.read_csv("data\\\\train.csv")', "pd.read_csv"),
    "home-relative path": ('pd.read_csv("~/data/train.csv")', "pd.read_csv"),
    "Path of a literal": ('pd.read_csv(Path("data/train.csv"))', "pd.read_csv"),
    "joined literals": ('pd.read_csv(Path("data") / "raw" / "train.csv")', "pd.read_csv"),
    "os.path.join": ('pd.read_csv(os.path.join("data", "train.csv"))', "pd.read_csv"),
    "Path.read_text": ('Path("data/train.csv").read_text()', "Path(...).read_text"),
    "file URL": ('pd.read_csv("file:///srv/data/train.csv")', "pd.read_csv"),
}


@pytest.mark.parametrize(("call", "shown"), READS.values(), ids=READS.keys())
def test_literal_paths_through_any_reader_fail(tmp_path: Path, call: str, shown: str) -> None:
    finding = only(run_rule("DATA003", tmp_path, {"etl/load.py": f"frame = {call}\n"}))
    assert finding.message.startswith(f"`{shown}` reads the hard-coded local file `")
    assert finding.line == 1


def test_a_module_constant_holding_a_path_is_followed(tmp_path: Path) -> None:
    files: Files = {
        "etl/load.py": 'import pandas as pd\n\nDATA_DIR = "data/raw"\n'
        'TRAIN = DATA_DIR + "/train.csv"\n\n'
        "def load():\n    return pd.read_csv(TRAIN)\n"
    }
    finding = only(run_rule("DATA003", tmp_path, files))
    assert (
        "reads `TRAIN`, the hard-coded local file `data/raw/train.csv` (set on line 4)"
        in finding.message
    )
    assert finding.line == 7


NOT_HARD_CODED = {
    "s3": 'pd.read_csv("s3://bucket/train.csv")',
    "gcs": 'pd.read_parquet("gs://bucket/train.parquet")',
    "https": 'pd.read_csv("https://example.org/train.csv")',
    "azure": 'pd.read_parquet("abfss://c@acct.dfs.core.windows.net/x.parquet")',
    "databricks": 'spark.read.parquet("dbfs:/mnt/raw/events")',
    "databricks mount": 'spark.read.parquet("/mnt/raw/events")',
    "unity catalog volume": 'pd.read_csv("/Volumes/main/raw/x.csv")',
    "settings": "pd.read_csv(settings.data_path)",
    "environment": 'pd.read_csv(os.environ["TRAIN_CSV"])',
    "environment with a default": 'pd.read_csv(os.getenv("TRAIN_CSV", "data/train.csv"))',
    "package data": 'pd.read_csv(Path(__file__).parent / "x.csv")',
    "an f-string": 'pd.read_csv(f"data/{day}.csv")',
    "a parameter": "pd.read_csv(path)",
    "open a config file": 'open("config.yaml")',
    "open the README": 'open("README.md")',
    "write a report": 'open("reports/scores.csv", "w")',
    "write through Path": 'Path("reports/scores.csv").open("w")',
    "append to a log": 'open("runs.csv", mode="a")',
    "literal JSON": "pd.read_json('{\"a\": [1, 2]}')",
    "literal CSV text": 'pd.read_csv("a,b\\n1,2")',
    "a table name": 'connection.read_table("customers")',
    "a spark table": 'spark.read.table("sales.orders")',
    "json.load": "json.load(open(path))",
    "pickle of a handle": "pickle.load(handle)",
    "a comment": '# pd.read_csv("/Users/maria/Downloads/x.csv")\nx = 1',
    "a docstring": '"""Reads /home/maria/exports/x.csv by default."""',
    "a placeholder home": 'HELP = "put the export in /home/<you>/data or /Users/username/data"',
    "a CI home": 'CACHE = "/home/runner/work/cache"',
}


@pytest.mark.parametrize("source", NOT_HARD_CODED.values(), ids=NOT_HARD_CODED.keys())
def test_configured_remote_and_non_data_paths_pass(tmp_path: Path, source: str) -> None:
    assert run_rule("DATA003", tmp_path, {"src/churn/etl.py": source + "\n"}) == []


def test_a_path_parameter_with_a_literal_default_is_not_a_hard_coded_read(tmp_path: Path) -> None:
    source = (
        'import pandas as pd\n\n\ndef load(path="data/train.csv"):\n    return pd.read_csv(path)\n'
    )
    assert run_rule("DATA003", tmp_path, {"etl.py": source}) == []


def test_a_constant_bound_twice_is_not_followed(tmp_path: Path) -> None:
    source = 'PATH = "data/x.csv"\nif fresh:\n    PATH = settings.path\nframe = pd.read_csv(PATH)\n'
    assert run_rule("DATA003", tmp_path, {"etl.py": source}) == []


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ('MODELS = "/Users/maria/models"', "/Users/maria/models"),
        ('cache = Path("/home/ken/.cache/churn")', "/home/ken/.cache/churn"),
        (
            'RAW = r"C:\\Users\\Maria Lopez\\Desktop\\crm.xlsx"',
            "C:\\Users\\Maria Lopez\\Desktop\\crm.xlsx",
        ),
        ('log.info("wrote /home/ken/out.csv")', "/home/ken/out.csv"),
        ('df = pd.read_csv(f"/Users/maria/{name}.csv")', "/Users/maria/"),
        ('WSL = "/mnt/c/Users/ana/data"', "/mnt/c/Users/ana/data"),
    ],
)
def test_a_home_path_anywhere_in_code_fails(tmp_path: Path, source: str, shown: str) -> None:
    finding = only(run_rule("DATA003", tmp_path, {"app/config.py": source + "\n"}))
    assert finding.message.startswith(
        f"`{shown}` is a path into one person's home directory: the code works only on that machine"
    )


def test_a_home_path_read_is_reported_once(tmp_path: Path) -> None:
    files: Files = {"etl.py": 'frame = pd.read_csv("/Users/maria/Downloads/crm.csv")\n'}
    finding = only(run_rule("DATA003", tmp_path, files))
    assert "`/Users/maria/Downloads/crm.csv` is a path into one person's home" in finding.message


def test_the_line_of_a_home_path_inside_a_multi_line_string(tmp_path: Path) -> None:
    files: Files = {"etl.py": 'QUERY = """\nCOPY x\nFROM \'/home/ken/x.csv\'\n"""\nrun(QUERY)\n'}
    assert only(run_rule("DATA003", tmp_path, files)).line == 3


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_load.py",
        "src/churn/tests/helpers.py",
        "conftest.py",
        "docs/snippets/load.py",
        "tests/notebooks/check.ipynb",
    ],
)
def test_tests_and_docs_may_use_literal_paths(tmp_path: Path, path: str) -> None:
    source = 'frame = pd.read_csv("/Users/maria/x.csv")\nother = pd.read_csv("data/y.csv")\n'
    text = notebook(source) if path.endswith(".ipynb") else source
    assert run_rule("DATA003", tmp_path, {path: text}) == []


def test_the_line_of_a_literal_in_a_call_spread_over_lines(tmp_path: Path) -> None:
    files: Files = {"etl.py": 'frame = pd.read_csv(\n    "data/train.csv",\n    sep=";",\n)\n'}
    assert only(run_rule("DATA003", tmp_path, files)).line == 2


def test_a_module_without_a_candidate_literal_is_not_even_parsed(tmp_path: Path) -> None:
    files: Files = {"legacy/io.py": 'import json\nprint "reading"\nconfig = json.load(handle)\n'}
    result = audit_tree(tmp_path, files, select=["DATA003", "PC002"])
    assert result.findings == []


def test_python_2_code_is_not_judged_and_does_not_crash(tmp_path: Path) -> None:
    files: Files = {"legacy/etl.py": 'import pandas as pd\nprint "loading"\npd.read_csv("x.csv")\n'}
    result = audit_tree(tmp_path, files, select=["DATA003", "PC002", "PC005"])
    assert [f.rule_id for f in result.findings] == ["PC002"]


def test_a_notebook_finding_names_the_cell_and_the_line_in_it(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/eda/01_explore.ipynb": notebook(
            markdown("# Exploring the CRM export"),
            "%matplotlib inline\nimport pandas as pd",
            'print("loading")\ndf = pd.read_csv("/Users/maria/Downloads/crm.csv")',
        )
    }
    finding = only(run_rule("DATA003", tmp_path, files))
    assert (finding.path, finding.cell, finding.line) == ("notebooks/eda/01_explore.ipynb", 2, 2)
    assert "`/Users/maria/Downloads/crm.csv` is a path into" in finding.message


def test_a_notebook_constant_is_followed_across_cells(tmp_path: Path) -> None:
    files: Files = {
        "nb.ipynb": notebook('PATH = "exports/crm.csv"', "import pandas as pd", "pd.read_csv(PATH)")
    }
    finding = only(run_rule("DATA003", tmp_path, files))
    assert "`PATH`, the hard-coded local file `exports/crm.csv` (set in cell 0)" in finding.message
    assert (finding.cell, finding.line) == (2, 1)


def test_shell_escapes_in_a_notebook_are_code_too(tmp_path: Path) -> None:
    files: Files = {"nb.ipynb": notebook("import os\n!cp /home/ken/exports/crm.csv data/")}
    finding = only(run_rule("DATA003", tmp_path, files))
    assert (finding.cell, finding.line) == (0, 2)
    assert finding.message.startswith("`/home/ken/exports/crm.csv` is a path into")


def test_markdown_cells_and_outputs_are_not_code(tmp_path: Path) -> None:
    cell = code("frame.head()")
    cell["outputs"] = [
        {"output_type": "stream", "name": "stderr", "text": "File /home/ken/venv/lib/x.py\n"}
    ]
    files: Files = {
        "nb.ipynb": notebook(markdown("Download to `/Users/maria/Downloads/crm.csv` first."), cell)
    }
    assert run_rule("DATA003", tmp_path, files) == []


def test_a_notebook_cell_that_is_not_python_is_skipped(tmp_path: Path) -> None:
    files: Files = {
        "nb.ipynb": notebook(
            "%%sql\nSELECT * FROM read_csv('data/x.csv')",
            "for x in (:\n    broken",
            'pd.read_csv("data/y.csv")',
        )
    }
    assert [(f.cell, f.line) for f in run_rule("DATA003", tmp_path, files)] == [(2, 1)]


@pytest.mark.parametrize(
    "text",
    [
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": '
        '[{"cell_type": "code", "input": "pd.read_csv(\\"data/x.csv\\")"}]}]}',
        '{"cells": "read_csv", "nbformat": 4}',
    ],
    ids=["no cells", "nbformat 3", "cells not a list"],
)
def test_unreadable_notebooks_give_no_finding(tmp_path: Path, text: str) -> None:
    assert run_rule("DATA003", tmp_path, {"nb.ipynb": text}) == []


def test_the_legacy_pilot_shape_fails_in_code_and_notebooks(tmp_path: Path) -> None:
    files: Files = {
        "predict.py": 'import pickle\n\nwith open("/Users/maria/models/churn.pkl", "rb") as f:\n'
        "    model = pickle.load(f)\n",
        "notebooks/01_explore.ipynb": notebook('df = pd.read_csv("/Users/maria/Downloads/x.csv")'),
        "notebooks/02_train.ipynb": notebook('df = pd.read_csv("churn_features.csv")'),
    }
    findings = run_rule("DATA003", tmp_path, files)
    assert [(f.path, f.cell, f.line) for f in findings] == [
        ("notebooks/01_explore.ipynb", 0, 1),
        ("notebooks/02_train.ipynb", 0, 1),
        ("predict.py", None, 3),
    ]


# -- DATA004: input validation -----------------------------------------------------------------


def test_validation_is_not_judged_while_there_is_no_pipeline(tmp_path: Path) -> None:
    files: Files = {"notebooks/02_train.ipynb": TRAINING_NOTEBOOK}
    result = audit_tree(tmp_path, files, select=["DATA002", "DATA004"])
    assert [f.rule_id for f in result.findings] == ["DATA002"]


def test_a_pipeline_without_validation_fails(tmp_path: Path) -> None:
    finding = only(run_rule("DATA004", tmp_path, {"src/churn/pipeline.py": PIPELINE}))
    assert finding.message.startswith("no code validates the input data")
    assert "a renamed column or a broken export flows silently into the model" in finding.message


VALIDATIONS: dict[str, Files] = {
    "pandera": {
        "src/churn/data/schema.py": "import pandera.pandas as pa\n\n"
        "Schema = pa.DataFrameSchema({})\n"
    },
    "great expectations": {
        "src/churn/checks.py": "import great_expectations as gx\n\ncontext = gx.get_context()\n"
    },
    "great expectations project": {"gx/great_expectations.yml": "config_version: 4\n"},
    "soda": {"src/churn/quality.py": "from soda.scan import Scan\n\nscan = Scan()\n"},
    "soda checks": {"soda/checks.yml": "checks for customers:\n  - row_count > 0\n"},
    "deepchecks": {
        "src/churn/integrity.py": "from deepchecks.tabular.suites import data_integrity\n"
    },
    "dbt tests": {
        "warehouse/models/schema.yml": "version: 2\nmodels:\n  - name: customers\n    columns:\n"
        "      - name: id\n        data_tests: [unique, not_null]\n"
    },
    "pydantic rows": {
        "src/churn/data/rows.py": "from pydantic import BaseModel\n\n\nclass Customer(BaseModel):\n"
        "    id: int\n    tenure_months: int\n",
        "src/churn/data/extract.py": "from churn.data.rows import Customer\n\n\n"
        "def extract(rows):\n"
        "    return [Customer.model_validate(row) for row in rows]\n",
    },
    "pydantic rows by keyword": {
        "etl.py": "from pydantic import BaseModel\n\n\nclass Row(BaseModel):\n    id: int\n\n\n"
        "records = [Row(**r) for r in frame.to_dict('records')]\n",
    },
    "a schema module": {
        "src/churn/data/schema.py": 'COLUMNS = {"customer_id": "int64", "plan": "category", '
        '"tenure": float}\n'
    },
    "a validation function": {
        "src/churn/pipeline_checks.py": "def validate_input(frame):\n"
        "    missing = {'tenure', 'plan'} - set(frame.columns)\n"
        "    if missing:\n        raise ValueError(f'missing columns: {missing}')\n"
    },
}


@pytest.mark.parametrize("files", VALIDATIONS.values(), ids=VALIDATIONS.keys())
def test_any_validation_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("DATA004", tmp_path, {"src/churn/pipeline.py": PIPELINE, **files}) == []


NOT_VALIDATIONS: dict[str, Files] = {
    "a FastAPI request model": {
        "src/churn/service/app.py": "from fastapi import FastAPI\n"
        "from pydantic import BaseModel\n\n"
        "app = FastAPI()\n\n\nclass PredictRequest(BaseModel):\n    tenure: int\n\n\n"
        "@app.post('/v1/predict')\ndef predict(request: PredictRequest):\n"
        "    return PredictRequest.model_validate(request.model_dump())\n"
    },
    "a Flask handler validating requests": {
        "api.py": "from flask import request\nfrom pydantic import BaseModel\n\n\n"
        "class Payload(BaseModel):\n    tenure: int\n\n\ndef predict():\n"
        "    return Payload(**request.get_json())\n"
    },
    "settings only": {
        "src/churn/settings.py": "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    database_url: str\n"
    },
    "pandera only in tests": {"tests/test_schema.py": "import pandera as pa\n"},
    "a check that never fails": {
        "src/churn/checks.py": "def check_input(frame):\n    print(frame.columns)\n"
    },
    "a schema module without types": {"src/churn/data/schema.py": 'COLUMNS = ["id", "plan"]\n'},
    "sodapy is not soda": {"src/churn/fetch.py": "import sodapy\n"},
}


@pytest.mark.parametrize("files", NOT_VALIDATIONS.values(), ids=NOT_VALIDATIONS.keys())
def test_near_misses_are_not_validation(tmp_path: Path, files: Files) -> None:
    files = {"src/churn/pipeline.py": PIPELINE, **files}
    assert len(run_rule("DATA004", tmp_path, files)) == 1


# -- DATA006: the data source is configured ----------------------------------------------------

HARD_CODED_SOURCE = (
    "import sqlite3\n\nimport pandas as pd\n\n"
    'connection = sqlite3.connect("warehouse.db")\n'
    'orders = pd.read_sql("SELECT * FROM orders", connection)\n'
)


def test_a_hard_coded_connection_is_a_warning_at_the_load(tmp_path: Path) -> None:
    files: Files = {"etl/load.py": HARD_CODED_SOURCE}
    finding = only(run_rule("DATA006", tmp_path, files))
    assert finding.severity is Severity.WARNING
    assert (finding.path, finding.line) == ("etl/load.py", 5)
    assert finding.message.startswith(
        "`etl/load.py` loads data (`sqlite3.connect`) but nothing in `etl/` reads the data "
        "source from the environment or settings"
    )


def test_nothing_is_judged_without_code_that_loads_data(tmp_path: Path) -> None:
    files: Files = {"notebooks/02_train.ipynb": TRAINING_NOTEBOOK, "src/x.py": "X = 1\n"}
    assert run_rule("DATA006", tmp_path, files) == []


CONFIGURED: dict[str, Files] = {
    "environment": {
        "etl/load.py": "import os\n"
        + HARD_CODED_SOURCE.replace('"warehouse.db"', 'os.environ["DB"]')
    },
    "getenv": {
        "etl/load.py": "from os import getenv\n"
        + HARD_CODED_SOURCE.replace('"warehouse.db"', 'getenv("DB")')
    },
    "a settings module in the package": {
        "src/churn/__init__.py": "",
        "src/churn/data/__init__.py": "",
        "src/churn/settings.py": "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    database_url: str\n",
        "src/churn/data/extract.py": "import pandas as pd\nimport sqlalchemy\n\n\n"
        "def extract(url):\n"
        "    return pd.read_sql('SELECT 1', sqlalchemy.create_engine(url))\n",
    },
    "a settings class elsewhere in the package": {
        "etl/__init__.py": "",
        "etl/load.py": HARD_CODED_SOURCE,
        "etl/conf.py": "import os\n\nDB = os.environ.get('DB', 'warehouse.db')\n",
    },
    "command-line options": {"etl/load.py": "import argparse\n" + HARD_CODED_SOURCE},
    "hydra": {"etl/load.py": "import hydra\n" + HARD_CODED_SOURCE},
    "a config file at the root": {
        "config.yaml": "database: warehouse.db\n",
        "etl/load.py": HARD_CODED_SOURCE,
    },
    "a kedro catalog": {"conf/base/catalog.yml": "orders: {}\n", "etl/load.py": HARD_CODED_SOURCE},
    "an env example": {".env.example": "DATABASE_URL=\n", "etl/load.py": HARD_CODED_SOURCE},
    "an airflow connection": {
        "dags/load.py": "from airflow.providers.postgres.hooks.postgres import PostgresHook\n\n"
        "hook = PostgresHook(postgres_conn_id='warehouse')\n"
        "frame = pd.read_sql('x', hook.get_conn())\n"
    },
}


@pytest.mark.parametrize("files", CONFIGURED.values(), ids=CONFIGURED.keys())
def test_a_configured_source_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("DATA006", tmp_path, files) == []


def test_each_package_of_a_monorepo_is_judged_on_its_own(tmp_path: Path) -> None:
    extract = "import pandas as pd\n\n\ndef load():\n    return pd.read_parquet('data/x.parquet')\n"
    files: Files = {
        "services/churn/src/churn/__init__.py": "",
        "services/churn/src/churn/settings.py": "import os\n\nURL = os.environ['URL']\n",
        "services/churn/src/churn/extract.py": extract,
        "services/fraud/src/fraud/__init__.py": "",
        "services/fraud/src/fraud/data/__init__.py": "",
        "services/fraud/src/fraud/data/extract.py": extract,
    }
    finding = only(run_rule("DATA006", tmp_path, files))
    assert finding.path == "services/fraud/src/fraud/data/extract.py"
    assert "nothing in `services/fraud/src/fraud/` reads the data source" in finding.message


def test_logging_configuration_is_not_data_configuration(tmp_path: Path) -> None:
    files: Files = {"etl/load.py": "import logging.config\n" + HARD_CODED_SOURCE}
    assert len(run_rule("DATA006", tmp_path, files)) == 1


def test_test_code_that_loads_data_is_not_judged(tmp_path: Path) -> None:
    assert run_rule("DATA006", tmp_path, {"tests/test_load.py": HARD_CODED_SOURCE}) == []
