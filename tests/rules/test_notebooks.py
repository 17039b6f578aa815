"""NB001-NB003: logic lives in modules, production never runs notebooks, outputs stay small."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prodcheck.findings import Finding, Severity
from tests.helpers import audit_tree, run_rule

KIB = 1024

Files = dict[str, str | bytes]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def code(source: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }


def notebook(*cells: dict[str, Any] | str) -> str:
    built = [code(c) if isinstance(c, str) else c for c in cells]
    return json.dumps({"cells": built, "metadata": {}, "nbformat": 4, "nbformat_minor": 4})


def image(kib: int) -> dict[str, Any]:
    """A display_data output holding a base64 PNG of about `kib` KiB."""
    return {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * kib * KIB}}


def stream(kib: int) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": ["row\n"] * (kib * KIB // 4)}


EXPLORE = notebook('import pandas as pd\ndf = pd.read_csv("x.csv")', "df.describe()")
JUPYTEXT_HEADER = (
    "# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n"
    "#       extension: .py\n#       format_name: percent\n# ---\n\n"
)


# -- NB001: notebooks are not the only code ----------------------------------------------------


def test_a_repository_without_notebooks_passes(tmp_path: Path) -> None:
    assert run_rule("NB001", tmp_path, {"README.md": "# Churn\n"}) == []


def test_notebooks_alone_fail_and_are_named(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/01_explore.ipynb": EXPLORE,
        "notebooks/02_train.ipynb": EXPLORE,
        "notebooks/scratch/03_tune.ipynb": EXPLORE,
        "README.md": "# Churn\n",
    }
    finding = only(run_rule("NB001", tmp_path, files))
    assert finding.severity is Severity.ERROR
    assert finding.path is None
    assert finding.message.startswith(
        "the code lives only in notebooks (`notebooks/01_explore.ipynb`, "
        "`notebooks/02_train.ipynb` and 1 more): no Python module or package holds the logic"
    )


LOGIC: dict[str, Files] = {
    "a module with a function (src layout)": {
        "src/churn/features.py": "def bucket(x):\n    return x // 6\n"
    },
    "a module with a class (flat layout)": {"churn.py": "class Model:\n    pass\n"},
    "a monorepo service": {"services/churn/app/main.py": "async def predict():\n    ...\n"},
    "a package": {"churn/__init__.py": "", "churn/constants.py": "THRESHOLD = 0.3\n"},
    "a package's __init__.py": {"churn/__init__.py": "def score(x):\n    return x\n"},
}


@pytest.mark.parametrize("files", LOGIC.values(), ids=LOGIC.keys())
def test_notebooks_beside_a_module_or_package_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("NB001", tmp_path, {"notebooks/01_explore.ipynb": EXPLORE, **files}) == []


NOT_LOGIC: dict[str, Files] = {
    "tests only": {"tests/test_features.py": "def test_x():\n    assert True\n"},
    "a conftest": {"conftest.py": "import pytest\n\n\n@pytest.fixture\ndef frame():\n    ...\n"},
    "packaging only": {"setup.py": "from setuptools import setup\n\n\ndef readme():\n    ...\n"},
    "a docs configuration": {"docs/conf.py": "def setup(app):\n    ...\n"},
    "a script without functions": {"run.py": "import pandas as pd\nprint(pd.__version__)\n"},
    "an empty package marker": {"churn/__init__.py": ""},
    "a jupytext notebook": {"notebooks/train.py": JUPYTEXT_HEADER + "# %%\ndef f():\n    ...\n"},
}


@pytest.mark.parametrize("files", NOT_LOGIC.values(), ids=NOT_LOGIC.keys())
def test_tests_packaging_and_notebook_scripts_are_not_logic(tmp_path: Path, files: Files) -> None:
    files = {"notebooks/01_explore.ipynb": EXPLORE, **files}
    assert "the code lives only in notebooks" in only(run_rule("NB001", tmp_path, files)).message


def test_notebooks_under_docs_or_tests_do_not_count(tmp_path: Path) -> None:
    files: Files = {"docs/tutorial.ipynb": EXPLORE, "tests/notebooks/smoke.ipynb": EXPLORE}
    assert run_rule("NB001", tmp_path, files) == []


def test_a_module_that_cannot_be_parsed_leaves_the_verdict_open(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/01_explore.ipynb": EXPLORE,
        "legacy/features.py": "def bucket(x):\n    print 'bucket', x\n",
    }
    result = audit_tree(tmp_path, files, select=["NB001", "PC002"])
    assert [(f.rule_id, f.path) for f in result.findings] == [("PC002", "legacy/features.py")]


def test_an_unreadable_notebook_still_counts_as_a_notebook(tmp_path: Path) -> None:
    assert len(run_rule("NB001", tmp_path, {"notebooks/broken.ipynb": "{not json"})) == 1


# -- NB002: production code does not run notebooks ---------------------------------------------


def test_code_that_imports_modules_passes(tmp_path: Path) -> None:
    files: Files = {"jobs/retrain.py": "from churn.pipeline import main\n\nmain()\n"}
    assert run_rule("NB002", tmp_path, files) == []


def test_papermill_fails_at_the_call(tmp_path: Path) -> None:
    files: Files = {
        "jobs/retrain.py": "import papermill as pm\n\n\ndef retrain():\n"
        '    pm.execute_notebook("notebooks/02_train.ipynb", "out.ipynb")\n'
    }
    finding = only(run_rule("NB002", tmp_path, files))
    assert (finding.path, finding.line) == ("jobs/retrain.py", 5)
    assert finding.message.startswith(
        "`pm.execute_notebook` runs the notebook `notebooks/02_train.ipynb`: production then "
        "depends on a notebook's hidden state and untested cells"
    )


RUNS: dict[str, tuple[str, str, int]] = {
    "papermill imported by name": (
        "from papermill import execute_notebook as run\n\nrun(path, out)\n",
        "`run` runs a notebook",
        3,
    ),
    "nbimporter": (
        "import nbimporter\nimport prep\n",
        "importing `nbimporter` imports notebooks as modules",
        1,
    ),
    "import_ipynb": ("import import_ipynb\n", "importing `import_ipynb`", 1),
    "ipynb package": (
        "from ipynb.fs.full.prep import clean\n",
        "importing `ipynb.fs.full.prep`",
        1,
    ),
    "dagstermill": (
        "from dagstermill import define_dagstermill_asset\n",
        "importing `dagstermill` runs notebooks",
        1,
    ),
    "airflow 1 papermill operator": (
        "from airflow.operators.papermill_operator import PapermillOperator\n",
        "importing `airflow.operators.papermill_operator` runs notebooks as DAG tasks",
        1,
    ),
    "airflow papermill operator": (
        "from airflow.providers.papermill.operators.papermill import PapermillOperator\n",
        "importing `airflow.providers.papermill.operators.papermill` runs notebooks as DAG tasks",
        1,
    ),
    "nbconvert in a subprocess": (
        "import subprocess\n\nsubprocess.run(\n"
        "    ['jupyter', 'nbconvert', '--to', 'notebook', '--execute', 'train.ipynb'],\n"
        "    check=True,\n)\n",
        "`subprocess.run` runs a notebook (`jupyter nbconvert --to notebook --execute "
        "train.ipynb`)",
        3,
    ),
    "nbconvert through os.system": (
        "import os\nos.system('jupyter nbconvert --execute --inplace notebooks/train.ipynb')\n",
        "`os.system` runs a notebook",
        2,
    ),
    "papermill on a shell": (
        "from subprocess import check_call\n"
        "check_call('papermill in.ipynb out.ipynb', shell=True)\n",
        "`check_call` runs a notebook (`papermill in.ipynb out.ipynb`)",
        2,
    ),
    "jupyter execute": (
        "import subprocess\nsubprocess.Popen(['jupyter', 'execute', nb])\n",
        "`subprocess.Popen` runs a notebook",
        2,
    ),
    "nbclient": (
        "import nbformat\nfrom nbclient import NotebookClient\n\nnb = nbformat.read(path, 4)\n"
        "NotebookClient(nb).execute()\n",
        "`NotebookClient` executes a notebook",
        5,
    ),
    "nbconvert preprocessor": (
        "from nbconvert.preprocessors import ExecutePreprocessor\n\n"
        "ExecutePreprocessor(timeout=600).preprocess(nb)\n",
        "`ExecutePreprocessor` executes a notebook",
        3,
    ),
    "exec of notebook cells": (
        "import json\n\ncells = json.load(open('prep.ipynb'))['cells']\nfor cell in cells:\n"
        "    exec(''.join(cell['source']))\n",
        "`exec` runs code read from a notebook",
        5,
    ),
    "runpy": (
        "import runpy\n\nrunpy.run_path('prep.ipynb')\n",
        "`runpy.run_path` runs the notebook `prep.ipynb`",
        3,
    ),
    "get_ipython": (
        "get_ipython().run_line_magic('run', 'notebooks/prep.ipynb')\n",
        "`%run notebooks/prep.ipynb` runs a notebook",
        1,
    ),
    "an IPython script": (
        "import pandas as pd\n%run notebooks/prep.ipynb\nframe = clean(pd.read_csv(path))\n",
        "`%run notebooks/prep.ipynb` runs a notebook",
        2,
    ),
}


@pytest.mark.parametrize(("source", "says", "line"), RUNS.values(), ids=RUNS.keys())
def test_every_way_of_running_a_notebook_fails(
    tmp_path: Path, source: str, says: str, line: int
) -> None:
    finding = only(run_rule("NB002", tmp_path, {"services/churn/src/churn/job.py": source}))
    assert finding.message.startswith(says), finding.message
    assert finding.line == line


NOT_RUNS: dict[str, tuple[str, str]] = {
    "a test that runs notebooks": (
        "tests/test_notebooks.py",
        "import papermill as pm\npm.execute_notebook(a, b)\n",
    ),
    "a docs build": (
        "docs/build.py",
        "import os\nos.system('jupyter nbconvert --execute docs/x.ipynb')\n",
    ),
    "a nox session": ("noxfile.py", "import papermill\n\npapermill.execute_notebook(a, b)\n"),
    "a jupytext notebook running another": (
        "notebooks/train.py",
        JUPYTEXT_HEADER + "# %%\n# %run prep.ipynb\n",
    ),
    "a commented-out %run": ("src/churn/prep.py", "# %run notebooks/prep.ipynb\nimport pandas\n"),
    "nbconvert to HTML": (
        "scripts/report.py",
        "import subprocess\nsubprocess.run(['jupyter', 'nbconvert', '--to', 'html', 'r.ipynb'])\n",
    ),
    "exec without notebooks": ("src/churn/plugins.py", "import nbformat_compat\nexec(code)\n"),
    "%run of a script": ("scripts/ipython_setup.py", "%run helpers.py\nimport nbx\n"),
    "a notebook named in a docstring": (
        "src/churn/features.py",
        '"""Ported from notebooks/02_train.ipynb."""\n',
    ),
    "reading a notebook's metadata": (
        "src/churn/lineage.py",
        "import nbformat\nnb = nbformat.read('x.ipynb', 4)\n",
    ),
    "Python 2": (
        "legacy/run.py",
        "import os\nprint 'running nb'\nos.system('papermill a.ipynb b.ipynb')\n",
    ),
}


@pytest.mark.parametrize(("path", "source"), NOT_RUNS.values(), ids=NOT_RUNS.keys())
def test_tests_tooling_notebooks_and_near_misses_pass(
    tmp_path: Path, path: str, source: str
) -> None:
    assert run_rule("NB002", tmp_path, {path: source}) == []


def test_an_airflow_papermill_task_is_one_finding_at_its_import(tmp_path: Path) -> None:
    source = (
        "from airflow.providers.papermill.operators.papermill import PapermillOperator\n\n"
        'run = PapermillOperator(task_id="train", input_nb="train.ipynb", output_nb="o.ipynb")\n'
    )
    finding = only(run_rule("NB002", tmp_path, {"dags/retrain.py": source}))
    assert (finding.line, finding.path) == (1, "dags/retrain.py")


def test_notebooks_running_notebooks_are_not_judged(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/00_all.ipynb": notebook("%run 01_explore.ipynb\n%run 02_train.ipynb")
    }
    assert run_rule("NB002", tmp_path, files) == []


# -- NB003: no large outputs -------------------------------------------------------------------


def test_a_notebook_with_small_outputs_passes(tmp_path: Path) -> None:
    files: Files = {
        "nb.ipynb": notebook(code("df.head()", [stream(4)]), code("plot()", [image(50)]))
    }
    assert run_rule("NB003", tmp_path, files) == []


def test_large_outputs_warn_with_the_total_and_the_biggest_cell(tmp_path: Path) -> None:
    files: Files = {
        "notebooks/eda/01_explore.ipynb": notebook(
            code("df.head()", [stream(30)]),
            code("df.plot()", [image(150)]),
            code("sns.pairplot(df)", [image(60)]),
        )
    }
    finding = only(run_rule("NB003", tmp_path, files))
    assert finding.severity is Severity.WARNING
    assert (finding.path, finding.cell) == ("notebooks/eda/01_explore.ipynb", 1)
    assert finding.message.startswith(
        "`notebooks/eda/01_explore.ipynb` carries 240.0 KiB of cell outputs, over the 200 KiB "
        "limit, 150.0 KiB of them in cell 1"
    )


def test_tracebacks_count_as_outputs(tmp_path: Path) -> None:
    error = {
        "output_type": "error",
        "ename": "KeyError",
        "evalue": "x",
        "traceback": ["frame\n" * 50_000],
    }
    assert (
        only(run_rule("NB003", tmp_path, {"nb.ipynb": notebook(code("boom()", [error]))})).cell == 0
    )


def test_a_large_notebook_without_outputs_passes(tmp_path: Path) -> None:
    source = "x = 1\n" * 50_000
    assert run_rule("NB003", tmp_path, {"nb.ipynb": notebook(source)}) == []


def test_documentation_notebooks_may_keep_their_outputs(tmp_path: Path) -> None:
    files: Files = {"docs/tutorial.ipynb": notebook(code("plot()", [image(300)]))}
    assert run_rule("NB003", tmp_path, files) == []


@pytest.mark.parametrize(
    "text",
    [
        "{not json" + " " * 300 * KIB,
        json.dumps(
            {
                "nbformat": 3,
                "nbformat_minor": 0,
                "metadata": {},
                "worksheets": [{"cells": [{"cell_type": "code", "outputs": [image(300)]}]}],
            }
        ),
        json.dumps(
            {"cells": [], "metadata": {"blob": "A" * 300 * KIB}, "nbformat": 4, "nbformat_minor": 4}
        ),
    ],
    ids=["not JSON", "nbformat 3", "no cells"],
)
def test_unreadable_or_empty_notebooks_give_no_warning(tmp_path: Path, text: str) -> None:
    assert run_rule("NB003", tmp_path, {"nb.ipynb": text}) == []
