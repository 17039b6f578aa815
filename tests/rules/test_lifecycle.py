"""LIFE001-LIFE006: the model is tracked, resolved from a registry, retrained, documented,
measured against the business case, and judged at day 90."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from prodcheck.findings import Finding, Severity
from tests.helpers import audit_tree, run_rule
from tests.rules.conftest import CASE, Builder, Files

LineAt = Callable[[Files, Finding], str]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def notebook(*cells: str) -> str:
    """A notebook whose code cells hold `cells`."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"cell-{index}",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for index, source in enumerate(cells)
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


# -- LIFE001: experiments and models are tracked in a registry from pipeline code ------------

MLFLOW_PIPELINE = """\
import mlflow
from sklearn.linear_model import LogisticRegression


def train(features, labels):
    with mlflow.start_run():
        model = LogisticRegression().fit(features, labels)
        mlflow.log_metric("roc_auc", 0.84)
        mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
"""
UNTRACKED_PIPELINE = """\
import joblib


def train(model, features, labels):
    model.fit(features, labels)
    joblib.dump(model, "model.joblib")
"""


def test_a_pipeline_that_logs_to_mlflow_passes(tmp_path: Path) -> None:
    assert run_rule("LIFE001", tmp_path, {"src/churn/pipeline.py": MLFLOW_PIPELINE}) == []


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("import mlflow as mlf\n\nmlf.log_metric('auc', 0.8)\n", id="mlflow-alias"),
        pytest.param("from mlflow import log_params\n\nlog_params({'C': 1})\n", id="mlflow-from"),
        pytest.param("import mlflow\n\nmlflow.sklearn.autolog()\n", id="mlflow-autolog"),
        pytest.param(
            "from mlflow.tracking import MlflowClient\n\nclient = MlflowClient()\n"
            "client.set_registered_model_alias('churn', 'champion', 3)\n",
            id="mlflow-client",
        ),
        pytest.param(
            "def train():\n    import mlflow\n\n    mlflow.register_model('runs:/1/model', 'c')\n",
            id="mlflow-lazy-import",
        ),
        pytest.param(
            "import wandb\n\nrun = wandb.init(project='churn')\nrun.log({'auc': 0.8})\n",
            id="wandb",
        ),
        pytest.param(
            "import wandb\n\nartifact = wandb.Artifact('churn', type='model')\n",
            id="wandb-artifact",
        ),
        pytest.param(
            "from sagemaker.sklearn.estimator import SKLearn\n\n"
            "estimator = SKLearn(entry_point='train.py')\nestimator.fit()\n",
            id="sagemaker-estimator",
        ),
        pytest.param(
            "import boto3\n\nsm = boto3.client('sagemaker')\n"
            "sm.create_model_package(ModelPackageGroupName='churn')\n",
            id="sagemaker-boto3",
        ),
        pytest.param(
            "from google.cloud import aiplatform\n\n"
            "aiplatform.init(project='p', experiment='churn')\n",
            id="vertex-experiment",
        ),
        pytest.param(
            "import google.cloud.aiplatform\n\ngoogle.cloud.aiplatform.start_run('run-1')\n",
            id="vertex-full-name",
        ),
        pytest.param(
            "from google.cloud import aiplatform\n\n"
            "aiplatform.Model.upload(display_name='churn', artifact_uri='gs://b/m')\n",
            id="vertex-model-upload",
        ),
        pytest.param(
            "from azure.ai.ml import MLClient\nfrom azure.ai.ml.entities import Model\n\n"
            "def register(ml_client: MLClient) -> None:\n"
            "    ml_client.models.create_or_update(Model(path='model', name='churn'))\n",
            id="azure-ml-v2",
        ),
        pytest.param(
            "from azureml.core import Model\n\nModel.register(ws, 'model.pkl', 'churn')\n",
            id="azure-ml-v1",
        ),
        pytest.param(
            "import neptune\n\nrun = neptune.init_run(project='acme/churn')\n", id="neptune"
        ),
        pytest.param("from comet_ml import Experiment\n\nexperiment = Experiment()\n", id="comet"),
        pytest.param(
            "from clearml import Task\n\ntask = Task.init('churn', 'train')\n", id="clearml"
        ),
        pytest.param("from dvclive import Live\n\nwith Live() as live:\n    pass\n", id="dvclive"),
        pytest.param(
            "from lightning.pytorch.loggers import MLFlowLogger\n\nlogger = MLFlowLogger()\n",
            id="lightning-logger",
        ),
        pytest.param(
            "from transformers import TrainingArguments\n\n"
            "args = TrainingArguments('out', report_to=['mlflow'])\n",
            id="transformers-report-to",
        ),
        pytest.param(
            "from accelerate import Accelerator\n\naccelerator = Accelerator(log_with='wandb')\n",
            id="accelerate-log-with",
        ),
        pytest.param(
            "from zenml import step\n\n@step(experiment_tracker='mlflow_tracker')\n"
            "def train() -> None:\n    ...\n",
            id="zenml-experiment-tracker",
        ),
    ],
)
def test_every_registry_counts(tmp_path: Path, code: str) -> None:
    assert run_rule("LIFE001", tmp_path, {"src/churn/train.py": code}) == []


@pytest.mark.parametrize(
    "path",
    ["pipeline.py", "services/churn/training/pipeline.py", "src/churn/steps/train.py"],
)
def test_tracking_counts_in_any_layout(tmp_path: Path, path: str) -> None:
    assert run_rule("LIFE001", tmp_path, {path: MLFLOW_PIPELINE}) == []


def test_a_dvc_model_registry_counts(tmp_path: Path) -> None:
    files = {
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"
        "artifacts:\n  churn:\n    path: models/churn.pkl\n    type: model\n",
        "train.py": UNTRACKED_PIPELINE,
    }
    assert run_rule("LIFE001", tmp_path, files) == []


def test_kedro_mlflow_configuration_counts(tmp_path: Path) -> None:
    files = {"conf/local/mlflow.yml": "server:\n  mlflow_tracking_uri: mlruns\n"}
    assert run_rule("LIFE001", tmp_path, files) == []


def test_untracked_training_code_fails(tmp_path: Path) -> None:
    finding = only(run_rule("LIFE001", tmp_path, {"src/churn/train.py": UNTRACKED_PIPELINE}))
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("no pipeline code tracks experiments or registers models")
    assert "nobody can tell which model is in production" in finding.message
    assert finding.path is None


def test_tracking_only_in_a_notebook_is_named_with_its_cell(tmp_path: Path) -> None:
    files = {
        "src/churn/train.py": UNTRACKED_PIPELINE,
        "notebooks/exploration/02_train.ipynb": notebook(
            "%pip install mlflow\nimport mlflow\n",
            "model = fit()\nmlflow.log_metric('auc', 0.84)\n",
        ),
    }
    finding = only(run_rule("LIFE001", tmp_path, files))
    assert finding.message.startswith(
        "experiments are tracked only in notebooks (`notebooks/exploration/02_train.ipynb` "
        "calls `mlflow.log_metric`), not in pipeline code"
    )
    assert (finding.path, finding.cell, finding.line) == (
        "notebooks/exploration/02_train.ipynb",
        1,
        2,
    )


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"tests/test_train.py": MLFLOW_PIPELINE}, id="only-tests"),
        pytest.param({"src/churn/test_train.py": MLFLOW_PIPELINE}, id="a-test-module"),
        pytest.param({"docs/examples/tracking.py": MLFLOW_PIPELINE}, id="a-docs-snippet"),
        pytest.param(
            {"src/churn/train.py": "import mlflow\n\n# mlflow.log_metric('auc', 0.8)\n"},
            id="a-commented-out-call",
        ),
        pytest.param(
            {"README.md": "We log with `mlflow.log_metric` and `wandb.init`.\n"}, id="a-readme"
        ),
        pytest.param(
            {"src/churn/train.py": "import mlflow\n\nmlflow.set_tracking_uri('sqlite:///m.db')\n"},
            id="configured-but-never-logged",
        ),
        pytest.param(
            {"src/churn/serve.py": "import mlflow\n\nmodel = mlflow.pyfunc.load_model(URI)\n"},
            id="loading-is-not-tracking",
        ),
        pytest.param(
            {
                "src/churn/train.py": "def log_metric(name, value):\n    print(name, value)\n\n"
                "log_metric('auc', 0.8)\n"
            },
            id="a-local-function-of-the-same-name",
        ),
        pytest.param(
            {
                "src/churn/train.py": "from transformers import TrainingArguments\n\n"
                "args = TrainingArguments('out', report_to='tensorboard')\n"
            },
            id="tensorboard-is-not-a-registry",
        ),
        pytest.param(
            {"src/churn/train.py": "s = '''\nimport mlflow\nmlflow.log_metric(1)\n'''\n"},
            id="code-in-a-string",
        ),
    ],
)
def test_what_is_not_tracking_from_pipeline_code(tmp_path: Path, files: Files) -> None:
    assert len(run_rule("LIFE001", tmp_path, files)) == 1


def test_unparsable_code_is_skipped_without_a_crash(tmp_path: Path) -> None:
    files = {
        "src/churn/legacy.py": "import mlflow\nprint 'training'\nmlflow.log_metric('a', 1)\n",
        "notebooks/train.ipynb": '{"cells": "nope", "nbformat": 4}',
    }
    result = audit_tree(tmp_path, files, select=["LIFE001"])
    assert [f.rule_id for f in result.findings] == ["LIFE001"]


# -- LIFE002: the service resolves its model from the registry or configuration --------------

FASTAPI_HEAD = (
    "import os\n\nimport joblib\nimport mlflow\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
)


@pytest.mark.parametrize(
    "load",
    [
        pytest.param('mlflow.pyfunc.load_model(os.environ["MODEL_URI"])', id="env-var"),
        pytest.param("mlflow.pyfunc.load_model(settings.model_uri)", id="settings"),
        pytest.param('mlflow.pyfunc.load_model("models:/churn@champion")', id="registry-alias"),
        pytest.param('mlflow.sklearn.load_model("runs:/a1b2/model")', id="run-uri"),
        pytest.param('joblib.load(os.getenv("MODEL_PATH", "model.joblib"))', id="env-default"),
        pytest.param('joblib.load("s3://models/churn.joblib")', id="object-store"),
        pytest.param('open("model.pkl", "wb")', id="writing-not-loading"),
        pytest.param('joblib.load("/opt/ml/model/model.joblib")', id="sagemaker-mount"),
        pytest.param('joblib.load("/mnt/models/model.joblib")', id="kserve-mount"),
    ],
)
def test_a_configured_or_registry_model_passes(tmp_path: Path, load: str) -> None:
    files = {"src/churn/service/app.py": f"{FASTAPI_HEAD}model = {load}\n"}
    assert run_rule("LIFE002", tmp_path, files) == []


def test_a_literal_model_file_in_the_service_fails_at_its_line(
    tmp_path: Path, line_at: LineAt
) -> None:
    files = {"app/main.py": f'{FASTAPI_HEAD}model = joblib.load("models/churn.joblib")\n'}
    finding = only(run_rule("LIFE002", tmp_path, files))
    assert finding.message.startswith(
        "the service loads its model with `joblib.load` from `models/churn.joblib`, a file "
        "path baked into the code"
    )
    assert "`MODEL_URI=models:/<name>@champion`" in finding.message
    assert finding.path == "app/main.py"
    assert line_at(files, finding) == 'model = joblib.load("models/churn.joblib")'


def test_a_path_on_a_laptop_is_called_one(tmp_path: Path) -> None:
    files = {
        "predict.py": "import pickle\nfrom flask import Flask\n\napp = Flask(__name__)\n\n\n"
        '@app.route("/predict", methods=["POST"])\ndef predict():\n'
        '    with open("/Users/maria/models/churn_model.pkl", "rb") as handle:\n'
        "        model = pickle.load(handle)\n"
        "    return model.predict([[1]])\n"
    }
    finding = only(run_rule("LIFE002", tmp_path, files))
    assert "from `/Users/maria/models/churn_model.pkl`, a path on one developer's machine" in (
        finding.message
    )
    assert (finding.path, finding.line) == ("predict.py", 9)


@pytest.mark.parametrize(
    ("code", "path"),
    [
        pytest.param(
            'MODEL_PATH = "models/churn.pkl"\nmodel = joblib.load(MODEL_PATH)\n',
            "models/churn.pkl",
            id="a-constant",
        ),
        pytest.param(
            "from pathlib import Path\n\n"
            'model = joblib.load(Path(__file__).parent / "artifacts" / "model.joblib")\n',
            "artifacts/model.joblib",
            id="next-to-the-module",
        ),
        pytest.param(
            "BASE = os.path.dirname(os.path.abspath(__file__))\n"
            'model = joblib.load(os.path.join(BASE, "models", "churn.pkl"))\n',
            "models/churn.pkl",
            id="os-path-join",
        ),
        pytest.param(
            'model = mlflow.pyfunc.load_model("mlruns/0/a1b2/artifacts/model")\n',
            "mlruns/0/a1b2/artifacts/model",
            id="a-local-mlflow-run",
        ),
        pytest.param(
            "import onnxruntime as ort\n\nsession = ort.InferenceSession('model.onnx')\n",
            "model.onnx",
            id="onnx",
        ),
        pytest.param(
            "import torch\n\nmodel = torch.load('weights/best.pt', map_location='cpu')\n",
            "weights/best.pt",
            id="torch",
        ),
        pytest.param(
            "import xgboost as xgb\n\nbooster = xgb.Booster()\nbooster.load_model('xgb.json')\n",
            "xgb.json",
            id="xgboost-load-model",
        ),
        pytest.param(
            "from transformers import AutoModel\n\n"
            "model = AutoModel.from_pretrained('./models/bert-churn')\n",
            "./models/bert-churn",
            id="transformers-local-dir",
        ),
    ],
)
def test_literal_paths_are_found_however_spelled(tmp_path: Path, code: str, path: str) -> None:
    files = {"src/churn/service/app.py": f"{FASTAPI_HEAD}{code}"}
    assert f"from `{path}`" in only(run_rule("LIFE002", tmp_path, files)).message


def test_an_absolute_path_to_a_file_the_repository_holds_is_baked_in(tmp_path: Path) -> None:
    files = {
        "app.py": f"{FASTAPI_HEAD}model = joblib.load('/app/models/churn.joblib')\n",
        "models/churn.joblib": "binary",
    }
    assert "from `/app/models/churn.joblib`" in only(run_rule("LIFE002", tmp_path, files)).message


def test_a_hub_model_name_is_not_a_path(tmp_path: Path) -> None:
    code = (
        "from transformers import AutoModel\n\n"
        "model = AutoModel.from_pretrained('distilbert-base-uncased')\n"
        "other = AutoModel.from_pretrained('acme/churn-bert')\n"
    )
    assert run_rule("LIFE002", tmp_path, {"app.py": f"{FASTAPI_HEAD}{code}"}) == []


def test_the_model_module_a_monorepo_service_imports_is_service_code(tmp_path: Path) -> None:
    files = {
        "services/api/app/main.py": "from fastapi import FastAPI\n\nfrom app.model import "
        "predictor\n\napp = FastAPI()\n",
        "services/api/app/model.py": "import torch\n\npredictor = torch.load('weights/model.pt')\n",
        "services/api/app/__init__.py": "",
    }
    finding = only(run_rule("LIFE002", tmp_path, files))
    assert (finding.path, finding.line) == ("services/api/app/model.py", 3)


def test_a_src_layout_package_import_is_followed(tmp_path: Path) -> None:
    files = {
        "src/churn/service/app.py": "from flask import Flask\n\nfrom churn.model import model\n\n"
        "app = Flask(__name__)\n",
        "src/churn/model.py": "import joblib\n\nmodel = joblib.load('artifacts/churn.joblib')\n",
    }
    assert only(run_rule("LIFE002", tmp_path, files)).path == "src/churn/model.py"


def test_a_relative_import_of_the_model_module_is_followed(tmp_path: Path) -> None:
    files = {
        "src/churn/service/app.py": "from fastapi import FastAPI\n\nfrom .model import model\n\n"
        "app = FastAPI()\n",
        "src/churn/service/model.py": "import joblib\n\nmodel = joblib.load('churn.joblib')\n",
    }
    assert only(run_rule("LIFE002", tmp_path, files)).path == "src/churn/service/model.py"


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {"src/churn/train.py": UNTRACKED_PIPELINE + "joblib.load('m.pkl')\n"}, id="no-service"
        ),
        pytest.param(
            {"tests/test_app.py": f"{FASTAPI_HEAD}model = joblib.load('m.pkl')\n"}, id="a-test"
        ),
        pytest.param(
            {"src/app.py": f"{FASTAPI_HEAD}# model = joblib.load('m.pkl')\n"}, id="a-comment"
        ),
        pytest.param({"src/app.py": FASTAPI_HEAD + "print 'python 2'\n"}, id="unparsable"),
        pytest.param(
            {
                "src/churn/errors.py": "import joblib\nfrom fastapi import HTTPException\n\n"
                "model = joblib.load('m.pkl')\n"
            },
            id="imports-fastapi-but-serves-nothing",
        ),
        pytest.param(
            {"service.py": "import bentoml\n\nmodel = bentoml.models.get('churn:latest')\n"},
            id="bentoml-store",
        ),
    ],
)
def test_no_finding_outside_a_service_or_without_a_literal_path(
    tmp_path: Path, files: Files
) -> None:
    assert run_rule("LIFE002", tmp_path, files) == []


# -- LIFE003: retraining is defined ----------------------------------------------------------

RETRAIN = """\
name: Retrain churn model
on:
  schedule:
    - cron: "0 3 * * 1"
  workflow_dispatch:
jobs:
  retrain:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m churn.pipeline
"""
NIGHTLY_TESTS = """\
name: nightly
"on":
  schedule:
    - cron: "0 2 * * *"
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest -q
"""


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({".github/workflows/retrain.yml": RETRAIN}, id="github-actions"),
        pytest.param(
            {".github/workflows/weekly.yaml": RETRAIN.replace("Retrain churn model", "weekly")},
            id="github-actions-job-trains",
        ),
        pytest.param(
            {".github/workflows/nightly.yml": NIGHTLY_TESTS.replace("pytest -q", "make train")},
            id="github-actions-quoted-on",
        ),
        pytest.param(
            {
                ".gitlab-ci.yml": "stages: [train]\nretrain:\n  stage: train\n  script:\n"
                "    - python -m churn.pipeline\n  rules:\n"
                "    - if: '$CI_PIPELINE_SOURCE == \"schedule\"'\n"
            },
            id="gitlab-rules",
        ),
        pytest.param(
            {".gitlab-ci.yml": "train-model:\n  script: [dvc repro]\n  only: [schedules]\n"},
            id="gitlab-only-schedules",
        ),
        pytest.param(
            {
                "azure-pipelines.yml": "schedules:\n  - cron: '0 3 * * 1'\n    branches:\n"
                "      include: [main]\nsteps:\n  - script: python train.py\n"
            },
            id="azure-pipelines",
        ),
        pytest.param(
            {
                "dags/churn.py": "from airflow import DAG\n\nwith DAG('churn_retrain', "
                "schedule='@weekly') as dag:\n    pass\n"
            },
            id="airflow-dag",
        ),
        pytest.param(
            {
                "dags/churn.py": "from airflow.decorators import dag\n\n\n"
                "@dag(schedule_interval='0 3 * * 1')\ndef churn():\n    pass\n"
            },
            id="airflow-decorator",
        ),
        pytest.param(
            {
                "dags/churn.py": "from airflow.models import DAG\n\ndag = DAG(\n    'churn',\n"
                "    default_args={'owner': 'ml'},\n)\n"
            },
            id="airflow-2-daily-default",
        ),
        pytest.param(
            {
                "orchestration/defs.py": "from dagster import ScheduleDefinition\n\n"
                "weekly = ScheduleDefinition(job=train_job, cron_schedule='0 3 * * 1')\n"
            },
            id="dagster",
        ),
        pytest.param(
            {
                "flows/train.py": "from prefect import flow\n\n\n@flow\ndef train():\n    pass\n\n"
                "if __name__ == '__main__':\n    train.serve(name='weekly', cron='0 3 * * 1')\n"
            },
            id="prefect-serve",
        ),
        pytest.param(
            {
                "prefect.yaml": "deployments:\n  - name: retrain\n"
                "    entrypoint: flows/train.py:train\n    schedules:\n      - cron: '0 3 * * 1'\n"
            },
            id="prefect-yaml",
        ),
        pytest.param(
            {
                "pipelines/run.py": "import kfp\n\nclient = kfp.Client()\n"
                "client.create_recurring_run(experiment_id='e', job_name='retrain', "
                "cron_expression='0 3 * * 1')\n"
            },
            id="kubeflow-recurring-run",
        ),
        pytest.param(
            {
                "deploy/k8s/retrain.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n"
                "  name: churn-retrain\nspec:\n  schedule: '0 3 * * 1'\n  jobTemplate:\n"
                "    spec:\n      template:\n        spec:\n          containers:\n"
                "            - name: train\n              image: acme/churn:1.4\n"
                "              command: [python, -m, churn.pipeline]\n"
            },
            id="kubernetes-cronjob",
        ),
        pytest.param(
            {
                "argo/retrain.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\n"
                "metadata:\n  name: retrain\nspec:\n  schedule: '0 3 * * 1'\n"
            },
            id="argo-cron-workflow",
        ),
        pytest.param(
            {
                "databricks.yml": "resources:\n  jobs:\n    retrain:\n      schedule:\n"
                "        quartz_cron_expression: '0 0 3 ? * MON'\n        timezone_id: UTC\n"
            },
            id="databricks-bundle",
        ),
    ],
)
def test_a_schedule_that_trains_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("LIFE003", tmp_path, files) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "# Retraining\n\n## Trigger\n\nThe scheduled `retrain` workflow, or a drift alert.\n\n"
            "## Cadence\n\nEvery Monday at 03:00 UTC.\n",
            id="headings",
        ),
        pytest.param(
            "# Retraining\n\n- **Trigger:** PSI drift above 0.2 on any feature\n"
            "- **Cadence:** monthly\n",
            id="labels",
        ),
        pytest.param(
            "| | |\n|---|---|\n| Trigger | new labels land in the warehouse |\n"
            "| Cadence | quarterly |\n",
            id="a-table",
        ),
        pytest.param(
            "---\ntrigger: drift alert\ncadence: weekly\n---\n# Retraining\n", id="front-matter"
        ),
        pytest.param(
            "# Retraining\n\nWe retrain the model weekly, and also whenever the drift score "
            "exceeds 0.2.\n",
            id="prose",
        ),
    ],
)
def test_a_retraining_plan_with_trigger_and_cadence_passes(tmp_path: Path, text: str) -> None:
    assert run_rule("LIFE003", tmp_path, {"docs/retraining.md": text}) == []


def test_a_retraining_plan_at_the_root_counts(tmp_path: Path) -> None:
    text = "# Retraining\n\nTrigger: the monthly schedule.\nCadence: monthly.\n"
    assert run_rule("LIFE003", tmp_path, {"RETRAINING.md": text}) == []


def test_nothing_about_retraining_fails(tmp_path: Path) -> None:
    finding = only(run_rule("LIFE003", tmp_path, {"src/churn/pipeline.py": MLFLOW_PIPELINE}))
    assert finding.message.startswith(
        "retraining is not defined: no scheduled workflow or orchestrator schedule runs "
        "training, and no `docs/retraining.md` names its trigger and cadence"
    )
    assert finding.path is None


def test_a_training_workflow_run_by_hand_is_named(tmp_path: Path) -> None:
    workflow = RETRAIN.replace('  schedule:\n    - cron: "0 3 * * 1"\n', "")
    finding = only(run_rule("LIFE003", tmp_path, {".github/workflows/retrain.yml": workflow}))
    assert "(`.github/workflows/retrain.yml` runs training, but not on a `schedule`)" in (
        finding.message
    )
    assert finding.path == ".github/workflows/retrain.yml"


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({".github/workflows/nightly.yml": NIGHTLY_TESTS}, id="scheduled-tests"),
        pytest.param(
            {
                "dags/etl.py": "from airflow import DAG\n\nwith DAG('train', schedule=None):\n"
                "    pass\n"
            },
            id="airflow-unscheduled",
        ),
        pytest.param(
            {
                "deploy/backup.yaml": "kind: CronJob\nmetadata:\n  name: db-backup\nspec:\n"
                "  schedule: '0 1 * * *'\n"
            },
            id="a-cronjob-that-does-not-train",
        ),
        pytest.param(
            {
                "chart/templates/retrain.yaml": "kind: CronJob\nmetadata:\n"
                "  name: {{ .Values.name }}-retrain\nspec:\n  schedule: {{ .Values.cron }}\n"
            },
            id="a-helm-template",
        ),
        pytest.param(
            {"tests/fixtures/retrain.yml": RETRAIN, "tests/retraining.md": "weekly trigger\n"},
            id="test-fixtures",
        ),
        pytest.param({".github/workflows/retrain.yml": "- retrain\n- weekly\n"}, id="a-list"),
        pytest.param({".github/workflows/retrain.yml": "on: [push\n"}, id="broken-yaml"),
        pytest.param(
            {
                ".gitlab-ci.yml": "retrain:\n  script: [python train.py]\n  rules:\n"
                "    - if: '$CI_PIPELINE_SOURCE == \"schedule\"'\n      when: never\n"
            },
            id="gitlab-never-on-schedule",
        ),
    ],
)
def test_what_does_not_define_retraining(tmp_path: Path, files: Files) -> None:
    assert len(run_rule("LIFE003", tmp_path, files)) == 1


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        pytest.param(
            "# Retraining\n\n## Trigger\n\nTODO\n\n## Cadence\n\nTBD\n",
            ["a trigger", "a cadence"],
            id="placeholders",
        ),
        pytest.param(
            "# Retraining\n\n## Trigger\n\nA drift alert from Evidently.\n",
            ["a cadence"],
            id="no-cadence",
        ),
        pytest.param("# Retraining\n\nWe retrain monthly.\n", ["a trigger"], id="no-trigger"),
        pytest.param(
            "# Retraining\n\n<!-- Trigger: the weekly schedule -->\n",
            ["a trigger", "a cadence"],
            id="only-a-comment",
        ),
        pytest.param("just some words\n", ["a trigger", "a cadence"], id="no-headings"),
        pytest.param(
            "---\ntrigger: [unclosed\n---\n# Retraining\n",
            ["a trigger", "a cadence"],
            id="broken-front-matter",
        ),
    ],
)
def test_an_incomplete_retraining_plan_says_what_it_lacks(
    tmp_path: Path, text: str, missing: list[str]
) -> None:
    finding = only(run_rule("LIFE003", tmp_path, {"docs/retraining.md": text}))
    assert finding.message.startswith("`docs/retraining.md` does not name ")
    for gap in ["a trigger", "a cadence"]:
        assert (gap in finding.message) == (gap in missing)
    assert (finding.path, finding.line) == ("docs/retraining.md", 1)


# -- LIFE004: a model card -------------------------------------------------------------------

CARD = """\
# Model card: churn

## Intended use

Rank active accounts by churn risk for the retention team; not for pricing.

## Training data

Twelve months of CRM accounts (2023-07 to 2024-06), 180,000 rows.

## Metrics

ROC AUC 0.84 and retained revenue on the last quarter.

## Limitations

Not validated for accounts younger than 30 days.
"""


@pytest.mark.parametrize(
    "path", ["docs/model-card.md", "MODEL_CARD.md", "model_card.md", "services/churn/model-card.md"]
)
def test_a_complete_model_card_passes(tmp_path: Path, path: str) -> None:
    assert run_rule("LIFE004", tmp_path, {path: CARD}) == []


def test_a_hugging_face_card_with_synonyms_passes(tmp_path: Path) -> None:
    readme = (
        "---\nlanguage: en\nlicense: apache-2.0\nlibrary_name: transformers\ndatasets:\n"
        "  - acme/tickets\nmodel-index:\n  - name: ticket-router\n    results:\n"
        "      - task: {type: text-classification}\n        metrics:\n"
        "          - {type: f1, value: 0.87}\n---\n"
        "# ticket-router\n\n## Uses\n\n### Direct Use\n\nRoute support tickets.\n\n"
        "## Bias, Risks, and Limitations\n\nEnglish tickets only.\n"
    )
    assert run_rule("LIFE004", tmp_path, {"README.md": readme}) == []


def test_a_model_directory_readme_can_be_the_card(tmp_path: Path) -> None:
    files = {"models/churn/README.md": CARD, "models/README.md": "Models live in MLflow.\n"}
    assert run_rule("LIFE004", tmp_path, files) == []


def test_setext_headings_and_bold_labels_count(tmp_path: Path) -> None:
    card = (
        "Churn model\n===========\n\nIntended use\n------------\n\nRetention campaigns.\n\n"
        "**Training data:** CRM accounts, 2023-2024.\n\n**Metrics:** ROC AUC 0.84.\n\n"
        "**Caveats:** new accounts are scored poorly.\n"
    )
    assert run_rule("LIFE004", tmp_path, {"docs/model-card.md": card}) == []


def test_no_model_card_fails(tmp_path: Path) -> None:
    finding = only(run_rule("LIFE004", tmp_path, {"README.md": "# Churn model\n"}))
    assert finding.message.startswith("no model card (`docs/model-card.md`, `MODEL_CARD.md`")
    assert finding.path is None


def test_a_card_lists_the_sections_it_lacks(tmp_path: Path) -> None:
    card = "# Churn\n\n## Intended use\n\nRetention.\n\n## Limitations\n\nTODO\n"
    finding = only(run_rule("LIFE004", tmp_path, {"docs/model-card.md": card}))
    assert finding.message.startswith(
        "the model card `docs/model-card.md` says nothing on training data, metrics and "
        'limitations (write a section such as "Training data", "Metrics" and "Limitations", '
        "with more than a placeholder)"
    )
    assert (finding.path, finding.line) == ("docs/model-card.md", 1)


@pytest.mark.parametrize(
    "card",
    [
        pytest.param(
            CARD.replace("Not validated for accounts younger than 30 days.", "<!-- fill in -->"),
            id="an-empty-section",
        ),
        pytest.param(
            CARD.replace("## Limitations\n", "```\n## Limitations\n") + "```\n", id="in-code"
        ),
        pytest.param(
            CARD.replace("Not validated for accounts younger than 30 days.", "TBD"),
            id="a-placeholder",
        ),
    ],
)
def test_a_section_that_says_nothing_is_missing(tmp_path: Path, card: str) -> None:
    finding = only(run_rule("LIFE004", tmp_path, {"docs/model-card.md": card}))
    assert "says nothing on limitations (" in finding.message


def test_one_complete_card_is_enough(tmp_path: Path) -> None:
    files = {"docs/model-card.md": CARD, "legacy/MODEL_CARD.md": "# Old model\n"}
    assert run_rule("LIFE004", tmp_path, files) == []


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {"README.md": "---\ntitle: churn\n---\n# Churn\n## Metrics\nAUC\n"},
            id="a-readme-without-model-metadata",
        ),
        pytest.param(
            {"models/README.md": "## Metrics\n\nAUC 0.8\n"}, id="an-incomplete-models-readme"
        ),
        pytest.param({"tests/fixtures/model-card.md": CARD}, id="a-test-fixture"),
    ],
)
def test_what_is_not_a_model_card(tmp_path: Path, files: Files) -> None:
    assert only(run_rule("LIFE004", tmp_path, files)).message.startswith("no model card")


def test_a_card_with_broken_front_matter_is_judged_by_its_headings(tmp_path: Path) -> None:
    card = "---\ntags: [unclosed\n---\n" + CARD
    assert run_rule("LIFE004", tmp_path, {"docs/model-card.md": card}) == []


# -- LIFE005: the pipeline measures the business case's success metrics ----------------------

EVALUATE = """\
import mlflow


def evaluate(model, frame):
    mlflow.log_metric("minutes_to_route_a_ticket", frame.minutes.mean())
    mlflow.log_metric("val_macro_f1", 0.87)
"""


def test_metrics_logged_by_name_pass(tmp_path: Path, case: Builder) -> None:
    files = {**case(), "src/tickets/evaluate.py": EVALUATE}
    assert run_rule("LIFE005", tmp_path, files) == []


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("minutes_to_route_a_ticket = 3\nmacro_f1 = 0.8\n", id="identifiers"),
        pytest.param(
            "import json\n\njson.dump({'minutes_to_route_a_ticket': 3, 'macro_f1': 0.8}, f)\n",
            id="dict-keys",
        ),
        pytest.param(
            "def minutes_to_route_a_ticket(frame):\n    ...\n\n\n"
            "def report(macro_f1_test):\n    ...\n",
            id="function-and-argument",
        ),
    ],
)
def test_a_metric_may_be_named_in_any_form_code_uses(
    tmp_path: Path, case: Builder, code: str
) -> None:
    files = {**case(), "src/tickets/evaluate.py": code}
    assert run_rule("LIFE005", tmp_path, files) == []


def test_a_metric_name_in_words_matches_its_snake_case(tmp_path: Path, case: Builder) -> None:
    metrics = [
        {"name": "Minutes to route a ticket", "kind": "business", "target": 2, "direction": "lower"}
    ]
    files = {**case(success_metrics=metrics), "src/tickets/evaluate.py": EVALUATE}
    assert run_rule("LIFE005", tmp_path, files) == []


def test_a_committed_metrics_file_counts(tmp_path: Path, case: Builder) -> None:
    files = {
        **case(),
        "reports/metrics.json": '{"minutes_to_route_a_ticket": 2.4, "test": {"macro_f1": 0.8}}',
    }
    assert run_rule("LIFE005", tmp_path, files) == []


def test_each_unmeasured_metric_points_at_its_name(
    tmp_path: Path, case: Builder, line_at: LineAt
) -> None:
    files = {**case(), "src/tickets/evaluate.py": "import mlflow\n\nmlflow.log_metric('auc', 1)\n"}
    findings = run_rule("LIFE005", tmp_path, files)
    assert [line_at(files, f).strip() for f in findings] == [
        "- name: minutes_to_route_a_ticket",
        "- name: macro_f1",
    ]
    first = findings[0]
    assert first.severity is Severity.WARNING
    assert first.message == (
        "the success metric `minutes_to_route_a_ticket` of `docs/business-case.md` is not "
        "measured: no pipeline code or metrics file names it, so at day 90 nobody can show "
        "whether the pilot met its target"
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        pytest.param({"tests/test_evaluate.py": EVALUATE}, id="a-test"),
        pytest.param(
            {"src/tickets/evaluate.py": "# minutes_to_route_a_ticket, macro_f1\n"}, id="a-comment"
        ),
        pytest.param(
            {"README.md": "We track minutes_to_route_a_ticket and macro_f1.\n"}, id="a-readme"
        ),
        pytest.param({"docs/snippets/evaluate.py": EVALUATE}, id="a-docs-snippet"),
        pytest.param(
            {
                "src/tickets/evaluate.py": "x = 'minutes_to_route_a_tickets_total'\n"
                "y = 'macro_f10'\n"
            },
            id="a-longer-name",
        ),
    ],
)
def test_a_metric_named_outside_pipeline_code_is_unmeasured(
    tmp_path: Path, case: Builder, elsewhere: Files
) -> None:
    assert len(run_rule("LIFE005", tmp_path, {**case(), **elsewhere})) == 2


def test_a_metric_computed_only_in_a_notebook_says_so(tmp_path: Path, case: Builder) -> None:
    metrics = [{"name": "macro_f1", "kind": "business", "target": 0.8, "direction": "higher"}]
    files = {
        **case(success_metrics=metrics),
        "notebooks/eval.ipynb": notebook("!pip install sklearn\nmacro_f1 = f1(y, p)\n"),
    }
    finding = only(run_rule("LIFE005", tmp_path, files))
    assert "only the notebook `notebooks/eval.ipynb` computes it" in finding.message


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"README.md": "# Tickets\n"}, id="no-business-case"),
        pytest.param({CASE: "---\nsuccess_metrics: fast\n---\n"}, id="metrics-not-a-list"),
        pytest.param(
            {CASE: "---\nsuccess_metrics:\n  - name: TODO\n  - 3\n---\n"}, id="unnamed-metrics"
        ),
        pytest.param({CASE: "---\nsuccess_metrics: [unclosed\n---\n"}, id="broken-front-matter"),
    ],
)
def test_without_named_metrics_there_is_nothing_to_measure(tmp_path: Path, files: Files) -> None:
    assert run_rule("LIFE005", tmp_path, files) == []


# -- LIFE006: the day-90 decision is recorded ------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "decided_on"),
    [("go", date(2025, 9, 29)), ("stop", "2025-10-01"), ("GO", date(2025, 9, 30))],
)
def test_a_recorded_decision_passes(
    tmp_path: Path, case: Builder, decision: str, decided_on: object
) -> None:
    files = case(decision=decision, decided_on=decided_on)
    assert run_rule("LIFE006", tmp_path, files) == []


def test_no_decision_is_a_warning_naming_the_due_date(tmp_path: Path, case: Builder) -> None:
    finding = only(run_rule("LIFE006", tmp_path, case()))
    assert finding.severity is Severity.WARNING
    assert finding.message == (
        "the day-90 go/stop decision (due on 2025-09-30) is not recorded in "
        "`docs/business-case.md`: a pilot without a recorded decision lingers in purgatory; "
        "add `decision: go` or `decision: stop` with `decided_on: YYYY-MM-DD`"
    )
    assert (finding.path, finding.line) == (CASE, 1)


@pytest.mark.parametrize(
    ("fields", "says", "points_at"),
    [
        pytest.param(
            {"decision": "TBD"},
            "`decision` in `docs/business-case.md` is still 'TBD', so the day-90 go/stop decision",
            "decision:",
            id="placeholder",
        ),
        pytest.param(
            {"decision": "continue"},
            "`decision` in `docs/business-case.md` is 'continue', not go or stop",
            "decision:",
            id="not-go-or-stop",
        ),
        pytest.param({"decision": True}, "is true, not go or stop", "decision:", id="yaml-yes"),
        pytest.param(
            {"decision": "go"},
            "`decision: go` in `docs/business-case.md` does not "
            "say when it was taken: a pilot without a recorded decision lingers in "
            "purgatory; add `decided_on: YYYY-MM-DD`",
            "decision:",
            id="no-date",
        ),
        pytest.param(
            {"decision": "stop", "decided_at": "2025-09-30"},
            "rename `decided_at` to `decided_on`",
            "decision:",
            id="another-key",
        ),
        pytest.param(
            {"decision": "go", "decided_on": "last week"},
            "`decided_on` in `docs/business-case.md` is 'last week', not a date",
            "decided_on:",
            id="not-a-date",
        ),
        pytest.param(
            {"decision": "go", "decided_on": "2025-02-30"},
            "is '2025-02-30', not a date",
            "decided_on:",
            id="impossible-date",
        ),
    ],
)
def test_a_decision_recorded_badly_says_how(
    tmp_path: Path,
    case: Builder,
    line_at: LineAt,
    fields: dict[str, object],
    says: str,
    points_at: str,
) -> None:
    files = case(**fields)
    finding = only(run_rule("LIFE006", tmp_path, files))
    assert says in finding.message
    assert line_at(files, finding).startswith(points_at)


def test_without_a_business_case_there_is_no_decision_to_record(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {"README.md": "# Churn\n"}, select=["BC001", "LIFE006"])
    assert [f.rule_id for f in result.findings] == ["BC001"]
