"""MON001-MON006, OPS001, OPS002: metrics, alerts that page, a dashboard, drift, a runbook, SLOs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prodcheck.findings import Finding
from tests.helpers import audit_tree, run_rule

Files = dict[str, str]

APP = "src/churn/service/app.py"
ALERTS = "monitoring/alerts.yml"
RUNBOOK = "docs/runbook.md"

BARE_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/predict")
def predict(row: dict) -> dict:
    return {"prediction": 0.5}
"""
METRICS_APP = """\
from fastapi import FastAPI
from prometheus_client import Counter, make_asgi_app

app = FastAPI()
app.mount("/metrics", make_asgi_app())
PREDICTIONS = Counter("model_predictions_total", "Predictions served, by class", ["label"])
"""
INSTRUMENTED_APP = """\
from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

app = FastAPI()
Instrumentator().instrument(app).expose(app)
"""

EXPRS = {
    "HighErrorRate": 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 0.05',
    "HighLatency": "histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m])) > 0.5",
    "PredictionDrift": "max(model_feature_drift_psi) > 0.2",
    "ServiceDown": 'up{job="churn"} == 0',
    "CPUHigh": "rate(process_cpu_seconds_total[5m]) > 0.9",
}
COMPLETE = ("HighErrorRate", "HighLatency", "PredictionDrift")


def alert_file(*names: str, annotations: dict[str, str] | None = None) -> str:
    """A Prometheus rule file with the named alerts (`name:expr` to give an expression)."""
    rules = ""
    for entry in names:
        name, _, expr = entry.partition(":")
        rules += f"      - alert: {name}\n        expr: '{expr or EXPRS[name]}'\n"
        if annotations and name in annotations:
            rules += f"        annotations:\n          runbook_url: {annotations[name]}\n"
    return f"groups:\n  - name: churn\n    rules:\n{rules}"


def runbook(*names: str) -> str:
    return "# Runbook\n\n" + "".join(f"## {n}\n\nWhat to check and do.\n\n" for n in names)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def line_of(root: Path, finding: Finding) -> str:
    assert finding.path is not None and finding.line is not None, finding
    return (root / finding.path).read_text().splitlines()[finding.line - 1]


# -- MON001: the service exposes metrics -----------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({APP: METRICS_APP}, id="prometheus-client-asgi"),
        pytest.param(
            {
                "app.py": "import prometheus_client as prom\nfrom flask import Flask\n"
                "from werkzeug.middleware.dispatcher import DispatcherMiddleware\n"
                "app = Flask(__name__)\n"
                "app.wsgi_app = DispatcherMiddleware(app.wsgi_app, "
                "{'/metrics': prom.make_wsgi_app()})\n"
            },
            id="flat-layout-wsgi-alias",
        ),
        pytest.param(
            {
                "services/api/server.py": "from flask import Flask, Response\n"
                "from prometheus_client import CONTENT_TYPE_LATEST, generate_latest\n"
                "app = Flask(__name__)\n\n"
                "@app.get('/metrics')\ndef metrics():\n"
                "    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)\n"
            },
            id="monorepo-generate-latest",
        ),
        pytest.param(
            {
                "worker/main.py": "from prometheus_client import start_http_server\n"
                "start_http_server(9100)\n"
            },
            id="start-http-server",
        ),
        pytest.param(
            {
                "jobs/score.py": "from prometheus_client import CollectorRegistry, "
                "push_to_gateway\n"
                "push_to_gateway('pushgateway:9091', job='score', registry=CollectorRegistry())\n"
            },
            id="pushgateway",
        ),
        pytest.param({APP: INSTRUMENTED_APP}, id="instrumentator"),
        pytest.param(
            {
                "src/churn/service/observability.py": "from prometheus_fastapi_instrumentator "
                "import Instrumentator\ninstrumentator = Instrumentator()\n",
                APP: "from fastapi import FastAPI\n"
                "from churn.service.observability import instrumentator\n"
                "app = FastAPI()\ninstrumentator.instrument(app)\ninstrumentator.expose(app)\n",
            },
            id="instrumentator-exposed-elsewhere",
        ),
        pytest.param(
            {
                APP: "from starlette_exporter import PrometheusMiddleware, handle_metrics\n"
                "app.add_middleware(PrometheusMiddleware)\n"
                "app.add_route('/metrics', handle_metrics)\n"
            },
            id="starlette-exporter",
        ),
        pytest.param(
            {
                APP: "from starlette_prometheus import PrometheusMiddleware, metrics\n"
                "app.add_route('/metrics/', metrics)\n"
            },
            id="starlette-prometheus",
        ),
        pytest.param(
            {
                "app.py": "from flask import Flask\nfrom prometheus_flask_exporter import "
                "PrometheusMetrics\napp = Flask(__name__)\nmetrics = PrometheusMetrics(app)\n"
            },
            id="flask-exporter",
        ),
        pytest.param(
            {
                "app.py": "from prometheus_flask_exporter.multiprocess import "
                "GunicornPrometheusMetrics\nmetrics = GunicornPrometheusMetrics.for_app_factory()\n"
            },
            id="flask-exporter-factory",
        ),
        pytest.param(
            {
                APP: "from aioprometheus import MetricsMiddleware\n"
                "from aioprometheus.asgi.starlette import metrics\n"
                "app.add_route('/metrics', metrics)\n"
            },
            id="aioprometheus",
        ),
        pytest.param(
            {
                APP: "from litestar import Litestar\n"
                "from litestar.plugins.prometheus import PrometheusConfig, PrometheusController\n"
                "app = Litestar([PrometheusController], "
                "middleware=[PrometheusConfig().middleware])\n"
            },
            id="litestar",
        ),
        pytest.param(
            {
                "mysite/urls.py": "from django.urls import include, path\n"
                "urlpatterns = [path('', include('django_prometheus.urls'))]\n"
            },
            id="django-prometheus",
        ),
        pytest.param(
            {
                APP: "from opentelemetry.exporter.prometheus import PrometheusMetricReader\n"
                "from opentelemetry.sdk.metrics import MeterProvider\n"
                "provider = MeterProvider(metric_readers=[PrometheusMetricReader()])\n"
            },
            id="otel-prometheus",
        ),
        pytest.param(
            {
                APP: "from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import "
                "OTLPMetricExporter\n"
            },
            id="otel-otlp",
        ),
        pytest.param(
            {
                "service.py": "import bentoml\n\n@bentoml.service\nclass Churn:\n"
                "    @bentoml.api\n    def predict(self, rows): ...\n"
            },
            id="bentoml",
        ),
        pytest.param(
            {"runtime.py": "from mlserver import MLModel\nclass Churn(MLModel): ...\n"},
            id="mlserver",
        ),
        pytest.param({"models/churn/model-settings.json": '{"name": "churn"}'}, id="mlserver-json"),
        pytest.param({"model.py": "import kserve\nclass Churn(kserve.Model): ...\n"}, id="kserve"),
        pytest.param(
            {
                "deploy/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\n"
                "kind: InferenceService\nmetadata:\n  name: churn\n"
            },
            id="kserve-inference-service",
        ),
        pytest.param(
            {"serve_app.py": "from ray import serve\n\n@serve.deployment\nclass Churn: ...\n"},
            id="ray-serve",
        ),
        pytest.param(
            {
                "Dockerfile": "FROM python:3.11-slim\n"
                'CMD ["opentelemetry-instrument", "uvicorn", "churn.service.app:app"]\n'
            },
            id="otel-auto-instrumentation",
        ),
        pytest.param(
            {
                "compose.yaml": "services:\n  api:\n    image: churn\n"
                "    command: opentelemetry-instrument uvicorn churn.service.app:app\n"
            },
            id="otel-auto-instrumentation-compose",
        ),
    ],
)
def test_a_service_that_exposes_metrics_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("MON001", tmp_path, files) == []


def test_a_service_without_metrics_fails_for_the_whole_repository(tmp_path: Path) -> None:
    finding = only(run_rule("MON001", tmp_path, {APP: BARE_APP}))
    assert finding.message.startswith("no service code exposes metrics for scraping")
    assert "nobody can see the model's traffic, errors or latency" in finding.message
    assert finding.path is None


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"tests/test_app.py": METRICS_APP, APP: BARE_APP}, id="only-in-tests"),
        pytest.param(
            {
                "notebooks/serve.ipynb": json.dumps(
                    {
                        "cells": [
                            {
                                "cell_type": "code",
                                "source": METRICS_APP,
                                "metadata": {},
                                "outputs": [],
                                "execution_count": None,
                            }
                        ],
                        "metadata": {},
                        "nbformat": 4,
                        "nbformat_minor": 5,
                    }
                )
            },
            id="only-in-a-notebook",
        ),
        pytest.param(
            {APP: BARE_APP + "# TODO: app.mount('/metrics', make_asgi_app())\n"},
            id="commented-out",
        ),
        pytest.param(
            {"README.md": "Mount `prometheus_client.make_asgi_app()` at /metrics.\n"},
            id="readme-snippet",
        ),
        pytest.param(
            {"src/churn/notes.py": "URLS = 'django_prometheus.urls'  # include() it later\n"},
            id="django-urls-named-but-not-included",
        ),
        pytest.param(
            {"train.py": "import bentoml\nbentoml.sklearn.save_model('churn', model)\n"},
            id="bentoml-only-saves-models",
        ),
        pytest.param(
            {"server.py": "import litserve as ls\nserver = ls.LitServer(api)\n"},
            id="litserve-has-no-metrics-route",
        ),
    ],
)
def test_metrics_outside_service_code_do_not_count(tmp_path: Path, files: Files) -> None:
    assert "no service code exposes metrics" in only(run_rule("MON001", tmp_path, files)).message


def test_metrics_defined_but_never_exposed_point_at_the_first_metric(tmp_path: Path) -> None:
    files = {
        "src/churn/service/metrics.py": "from prometheus_client import Counter, Histogram\n\n"
        "PREDICTIONS = Counter('model_predictions_total', 'Predictions')\n"
        "LATENCY = Histogram('model_predict_duration_seconds', 'Model time')\n"
    }
    finding = only(run_rule("MON001", tmp_path, files))
    assert (
        "defines prometheus-client metrics (`model_predictions_total` and "
        "`model_predict_duration_seconds`) but no code exposes them" in finding.message
    )
    assert "`make_asgi_app`" in finding.message
    assert line_of(tmp_path, finding).startswith("PREDICTIONS = Counter(")


@pytest.mark.parametrize(
    ("files", "says"),
    [
        pytest.param(
            {
                APP: "from prometheus_fastapi_instrumentator import Instrumentator\n"
                "Instrumentator().instrument(app)\n"
            },
            "never calls `.expose(app)`",
            id="instrumentator-without-expose",
        ),
        pytest.param(
            {
                APP: "from starlette_exporter import PrometheusMiddleware\n"
                "app.add_middleware(PrometheusMiddleware)\n"
            },
            "routes no `/metrics` to `handle_metrics`",
            id="starlette-exporter-without-route",
        ),
        pytest.param(
            {
                APP: "from prometheus_flask_exporter import PrometheusMetrics\n"
                "metrics = PrometheusMetrics(app, path=None)\n"
            },
            "with `path=None` and never registers an endpoint",
            id="flask-exporter-without-path",
        ),
        pytest.param(
            {
                APP: "from opentelemetry import metrics\nmeter = metrics.get_meter('churn')\n"
                "counter = meter.create_counter('predictions')\n"
            },
            "defines OpenTelemetry metrics (`predictions`) but no code exposes them (no "
            "Prometheus or OTLP metric exporter)",
            id="otel-without-exporter",
        ),
    ],
)
def test_a_half_configured_library_says_what_is_missing(
    tmp_path: Path, files: Files, says: str
) -> None:
    finding = only(run_rule("MON001", tmp_path, files))
    assert says in finding.message
    assert finding.path == APP


def test_python_2_code_is_skipped_without_a_crash(tmp_path: Path) -> None:
    files = {"legacy/app.py": "import prometheus_client\nprint 'metrics'\n", APP: METRICS_APP}
    result = audit_tree(tmp_path, files, select=["MON001", "PC002", "PC005"])
    assert [(f.rule_id, f.path) for f in result.findings] == [("PC002", "legacy/app.py")]


def test_files_without_metrics_tokens_are_never_parsed(tmp_path: Path) -> None:
    """The byte prefilter: an unparsable module that names no metrics library is not read as
    Python by any monitoring rule, so no PC002 appears for it."""
    files = {"src/churn/py2_helpers.py": "print 'hello'\n", APP: METRICS_APP}
    result = audit_tree(tmp_path, files, select=["MON", "OPS", "PC002"])
    assert not [f for f in result.findings if f.rule_id == "PC002"]


# -- MON002: model-level metrics -------------------------------------------------------------


@pytest.mark.parametrize(
    "definition",
    [
        "Counter('model_predictions_total', 'Predictions served')",
        "Histogram('prediction_value', 'Predicted churn probability')",
        "Histogram('inference_seconds', 'Time in the model')",
        "Histogram('model_predict_duration_seconds', 'Model time only')",
        "Gauge('input_feature_tenure_mean', 'Mean tenure of recent requests')",
        "Histogram('churn_score', 'Score returned')",
        "Counter('answers_total', 'Number of predictions served')",
        "Counter('total', 'Served', namespace='churn', subsystem='predictions')",
        "Counter(PREDICTIONS_METRIC, 'Served')",
        "Counter(f'{PREFIX}_predictions_total', 'Served')",
        "Histogram(name='model_latency_seconds', documentation='Model latency')",
    ],
)
def test_a_metric_about_the_model_passes(tmp_path: Path, definition: str) -> None:
    module = (
        "from prometheus_client import Counter, Gauge, Histogram\n"
        "PREDICTIONS_METRIC = 'model_predictions_total'\nPREFIX = 'churn'\n"
        f"METRIC = {definition}\n"
    )
    files = {APP: INSTRUMENTED_APP, "src/churn/service/metrics.py": module}
    assert run_rule("MON002", tmp_path, files) == []


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                APP: "from opentelemetry.exporter.prometheus import PrometheusMetricReader\n"
                "from opentelemetry import metrics\nmeter = metrics.get_meter('churn')\n"
                "latency = meter.create_histogram('model.inference.duration', unit='s')\n"
            },
            id="otel-instrument",
        ),
        pytest.param(
            {
                "app.py": "from prometheus_flask_exporter import PrometheusMetrics\n"
                "metrics = PrometheusMetrics(app)\n"
                "by_class = metrics.counter('predictions_by_class', 'Predictions', labels={})\n"
            },
            id="flask-exporter-counter",
        ),
        pytest.param(
            {"service.py": "import bentoml\n\n@bentoml.service\nclass Churn: ...\n"},
            id="model-server-built-in-metrics",
        ),
        pytest.param(
            {
                APP: INSTRUMENTED_APP,
                "src/churn/service/metrics.py": "from prometheus_client import Counter\n\n"
                "def counter(name: str, doc: str) -> Counter:\n    return Counter(name, doc)\n",
            },
            id="name-computed-at-runtime",
        ),
        pytest.param(
            {
                APP: INSTRUMENTED_APP,
                "src/churn/service/metrics.py": "from prometheus_client import Counter\n\n"
                "def counter(name: str, doc: str) -> Counter:\n"
                "    return Counter(f'churn_{name}_total', doc)\n",
            },
            id="name-partly-computed",
        ),
    ],
)
def test_model_metrics_in_other_libraries_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("MON002", tmp_path, files) == []


def test_http_metrics_alone_fail_and_name_what_was_found(tmp_path: Path) -> None:
    finding = only(run_rule("MON002", tmp_path, {APP: INSTRUMENTED_APP}))
    assert finding.message.startswith(
        "no metric in the service's code is about the model (found `http_requests_total` and "
        "`http_request_duration_seconds`)"
    )
    assert finding.path == APP


@pytest.mark.parametrize(
    "definition",
    [
        "Counter('http_requests_total', 'Requests', ['handler', 'status'])",
        "Gauge('model_info', 'Model version', ['model_version'])",
        "Gauge('model_version', 'The version served')",
        "Histogram('request_latency_seconds', 'HTTP latency of the model API')",
    ],
)
def test_http_and_model_metadata_metrics_are_not_model_metrics(
    tmp_path: Path, definition: str
) -> None:
    module = f"from prometheus_client import Counter, Gauge, Histogram\nMETRIC = {definition}\n"
    files = {APP: METRICS_APP.replace("PREDICTIONS = ", "# "), "src/churn/m.py": module}
    finding = only(run_rule("MON002", tmp_path, files))
    assert line_of(tmp_path, finding).startswith("METRIC = ")


def test_no_metrics_at_all_is_left_to_mon001(tmp_path: Path) -> None:
    assert run_rule("MON002", tmp_path, {APP: BARE_APP}) == []


def test_mon002_is_skipped_when_mon001_fails(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {APP: BARE_APP}, select=["MON001", "MON002"])
    assert [f.rule_id for f in result.findings] == ["MON001"]


# -- MON003: alerts for errors, latency and the model ----------------------------------------


def test_alerts_for_errors_latency_and_the_model_pass(tmp_path: Path) -> None:
    assert run_rule("MON003", tmp_path, {ALERTS: alert_file(*COMPLETE)}) == []


PROMETHEUS_RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: churn
spec:
  groups:
    - name: churn
      rules:
        - alert: ChurnAPIErrors
          expr: sum(rate(http_requests_total{code=~"5.."}[5m])) > 1
        - alert: ChurnSlow
          expr: histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) > 1
        - alert: ModelNotReady
          expr: model_ready == 0
"""
HELM_RULE = """\
{{- if .Values.alerts.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "churn.fullname" . }}
  labels:
    {{- include "churn.labels" . | nindent 4 }}
spec:
  groups:
    - name: churn
      rules:
        - alert: HighErrorRate
          expr: sum(rate(http_requests_total{job="{{ .Release.Name }}",status=~"5.."}[5m])) > 1
          annotations:
            summary: "{{`{{ $labels.job }}`}} fails"
        - alert: HighLatency
          expr: histogram_quantile(0.99, rate(d_bucket[5m])) > {{ .Values.latency }}
        - alert: PredictionsStalled
          expr: rate(model_predictions_total[10m]) == 0
{{- end }}
"""
GRAFANA_ALERTING = """\
apiVersion: 1
groups:
  - orgId: 1
    name: churn
    folder: ML
    interval: 1m
    rules:
      - uid: errors
        title: Error rate above 5%
        condition: C
        data:
          - refId: A
            model: {expr: 'sum(rate(http_requests_total{status=~"5.."}[5m]))'}
      - uid: latency
        title: p99 latency
        condition: C
        data: [{refId: A, model: {expr: 'histogram_quantile(0.99, rate(h_bucket[5m]))'}}]
      - uid: drift
        title: Feature drift
        condition: C
        data: [{refId: A, model: {expr: max(model_feature_drift_psi)}}]
"""


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"deploy/k8s/prometheusrule.yaml": PROMETHEUS_RULE}, id="prometheus-rule"),
        pytest.param({"charts/churn/templates/prometheusrule.yaml": HELM_RULE}, id="helm-chart"),
        pytest.param(
            {
                "deploy/k8s/all.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: churn}\n"
                "---\n" + PROMETHEUS_RULE
            },
            id="multi-document",
        ),
        pytest.param(
            {"grafana/provisioning/alerting/churn.yaml": GRAFANA_ALERTING}, id="grafana-alerting"
        ),
        pytest.param({"prometheus/churn.rules": alert_file(*COMPLETE)}, id="rules-suffix"),
        pytest.param(
            {
                "deploy/prometheus/rules/errors.yaml": alert_file("HighErrorRate"),
                "deploy/prometheus/rules/latency.yaml": alert_file("HighLatency"),
                "deploy/prometheus/rules/model.yaml": alert_file("PredictionDrift"),
            },
            id="split-over-files",
        ),
        pytest.param(
            {
                "charts/churn/values.yaml": "prometheusRule:\n  enabled: true\n  rules:\n"
                + "".join(f"    - alert: {n}\n      expr: '{EXPRS[n]}'\n" for n in COMPLETE)
            },
            id="helm-values",
        ),
        pytest.param(
            {
                ALERTS: alert_file(
                    "SLOErrorBudgetBurn:sum(rate(x[1h])) > 14.4 * 0.001",
                    'LatencySLO:sum(rate(d_bucket{le="0.3"}[5m])) < 0.99',
                    "ModelNotReady:min(model_ready) == 0",
                )
            },
            id="template-style-names",
        ),
    ],
)
def test_alert_rules_in_any_realistic_place_count(tmp_path: Path, files: Files) -> None:
    assert run_rule("MON003", tmp_path, files) == []


def test_without_alert_rules_nobody_is_paged(tmp_path: Path) -> None:
    finding = only(run_rule("MON003", tmp_path, {APP: METRICS_APP}))
    assert finding.message.startswith("no alert rules are defined")
    assert "nobody is paged" in finding.message
    assert finding.path is None


def test_recording_rules_are_not_alerts(tmp_path: Path) -> None:
    files = {"monitoring/rules.yml": "groups:\n- name: r\n  rules:\n"
             "  - record: job:errors:rate5m\n    expr: sum(rate(errors_total[5m]))\n"}  # fmt: skip
    message = only(run_rule("MON003", tmp_path, files)).message
    assert "no alert rules are defined (`monitoring/rules.yml` holds only recording rules)" in (
        message
    )


@pytest.mark.parametrize(
    ("names", "missing"),
    [
        (("ServiceDown",), {"errors", "latency", "the model"}),
        (("HighErrorRate", "HighLatency"), {"the model"}),
        (("HighErrorRate", "PredictionDrift"), {"latency"}),
        (("HighLatency", "PredictionDrift", "CPUHigh"), {"errors"}),
    ],
)
def test_each_missing_kind_of_alert_is_its_own_finding(
    tmp_path: Path, names: tuple[str, ...], missing: set[str]
) -> None:
    findings = run_rule("MON003", tmp_path, {ALERTS: alert_file(*names)})
    kinds = {f.message.split(" covers ")[1].split(" (")[0] for f in findings}
    assert kinds == missing
    assert all(f.message.startswith(f"no alert in `{ALERTS}` covers ") for f in findings)
    assert {line_of(tmp_path, f) for f in findings} == {"groups:"}


def test_the_finding_names_the_main_rule_file_and_counts_the_others(tmp_path: Path) -> None:
    files = {
        "monitoring/a.yml": alert_file("HighErrorRate", "ServiceDown"),
        "monitoring/b.yml": alert_file("CPUHigh"),
    }
    findings = run_rule("MON003", tmp_path, files)
    assert len(findings) == 2
    assert all("no alert in `monitoring/a.yml` and 1 other file covers" in f.message
               for f in findings)  # fmt: skip


@pytest.mark.parametrize(
    ("path", "text", "points_at"),
    [
        ("deploy/k8s/prometheusrule.yaml", PROMETHEUS_RULE, "groups:"),
        ("charts/churn/values.yaml", "prometheusRule:\n  rules:\n    - alert: A\n"
         "      expr: up == 0\n", "rules:"),
    ],
)  # fmt: skip
def test_findings_about_a_rule_file_point_at_its_rules(
    tmp_path: Path, path: str, text: str, points_at: str
) -> None:
    text = text.replace("ChurnAPIErrors", "ChurnAPI").replace(
        'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1', "up == 0"
    )
    findings = run_rule("MON003", tmp_path, {path: text})
    assert findings
    assert {line_of(tmp_path, f).strip() for f in findings} == {points_at}


def test_an_alert_with_an_empty_expression_is_pointed_at(tmp_path: Path) -> None:
    text = alert_file(*COMPLETE) + "      - alert: Broken\n        expr: ''\n"
    finding = only(run_rule("MON003", tmp_path, {ALERTS: text}))
    assert "alert `Broken` in `monitoring/alerts.yml` has an empty `expr`" in finding.message
    assert line_of(tmp_path, finding).strip() == "- alert: Broken"


@pytest.mark.parametrize(
    "path", ["tests/fixtures/alerts.yml", "docs/examples/alerts.yml", "vendor/kube/alerts.yml"]
)
def test_rule_files_in_tests_docs_and_vendored_code_do_not_count(tmp_path: Path, path: str) -> None:
    finding = only(run_rule("MON003", tmp_path, {path: alert_file(*COMPLETE)}))
    assert finding.message.startswith("no alert rules are defined")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("groups:\n  - name: [broken\n", id="broken-yaml"),
        pytest.param("- rules:\n  - alert: X\n", id="a-list"),
        pytest.param("groups: rules\n", id="groups-a-string"),
        pytest.param("groups:\n- rules: [1, 'alert', null]\n", id="rules-not-mappings"),
        pytest.param("groups:\n- rules:\n  - alert: {a: 1}\n    expr: x\n", id="odd-name"),
        pytest.param("a: &a [*a]\nrules: *a\n", id="alias-loop"),
    ],
)
def test_malformed_rule_files_give_no_crash_and_no_alerts(tmp_path: Path, text: str) -> None:
    result = audit_tree(tmp_path, {ALERTS: text}, select=["MON003", "OPS001", "MON004", "PC"])
    assert [f for f in result.findings if f.rule_id == "PC005"] == []
    assert [f.message[:26] for f in result.findings if f.rule_id == "MON003"] == [
        "no alert rules are defined"
    ]


def test_broken_yaml_is_reported_once_by_the_snapshot(tmp_path: Path) -> None:
    result = audit_tree(
        tmp_path, {ALERTS: "groups:\n  - name: [broken\n  rules:\n"}, select=["PC002", "MON003"]
    )
    assert [(f.rule_id, f.path) for f in result.findings if f.rule_id == "PC002"] == [
        ("PC002", ALERTS)
    ]


def test_a_kube_prometheus_sized_rule_set_is_judged_quickly(tmp_path: Path) -> None:
    rules = "".join(
        f"        - alert: KubeThing{i}\n          expr: kube_thing{{job='x'}} > {i}\n"
        "          annotations:\n            runbook_url: https://runbooks.prometheus-operator.dev"
        f"/runbooks/kubernetes/kubething{i}\n"
        for i in range(600)
    )
    files = {
        "deploy/kube-prometheus/rules.yaml": PROMETHEUS_RULE + rules,
        RUNBOOK: runbook("ChurnAPIErrors", "ChurnSlow", "ModelNotReady"),
    }
    result = audit_tree(tmp_path, files, select=["MON003", "MON004", "OPS001", "PC005"])
    assert result.findings == []


# -- MON004: alert rules have promtool tests -------------------------------------------------

PROMTOOL_TEST = """\
rule_files:
  - {rule_file}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'model_feature_drift_psi'
        values: '0.5x10'
    alert_rule_test:
      - eval_time: 10m
        alertname: PredictionDrift
        exp_alerts: [{{exp_labels: {{}}}}]
"""


@pytest.mark.parametrize(
    ("test_path", "rule_file"),
    [
        ("monitoring/alerts.test.yml", "alerts.yml"),
        ("tests/monitoring/alerts_test.yaml", "../../monitoring/alerts.yml"),
        ("monitoring/tests/all.yml", "../*.yml"),
        ("promtool.yml", "monitoring/alerts.yml"),
        ("monitoring/alerts.test.yml", "/etc/prometheus/rules/alerts.yml"),
    ],
)
def test_a_promtool_test_referring_to_the_rule_file_passes(
    tmp_path: Path, test_path: str, rule_file: str
) -> None:
    files = {ALERTS: alert_file(*COMPLETE), test_path: PROMTOOL_TEST.format(rule_file=rule_file)}
    assert run_rule("MON004", tmp_path, files) == []


def test_an_untested_rule_file_is_pointed_at(tmp_path: Path) -> None:
    files = {
        ALERTS: alert_file(*COMPLETE),
        "monitoring/extra.yml": alert_file("ServiceDown"),
        "monitoring/alerts.test.yml": PROMTOOL_TEST.format(rule_file="alerts.yml"),
        "monitoring/prometheus.yml": "rule_files:\n  - extra.yml\nscrape_configs: []\n",
    }
    finding = only(run_rule("MON004", tmp_path, files))
    assert finding.message.startswith(
        "no promtool test refers to `monitoring/extra.yml` (1 alert):"
    )
    assert (finding.path, line_of(tmp_path, finding)) == ("monitoring/extra.yml", "groups:")


def test_a_test_of_another_directory_does_not_count(tmp_path: Path) -> None:
    files = {
        ALERTS: alert_file(*COMPLETE),
        "other/alerts.test.yml": PROMTOOL_TEST.format(rule_file="alerts.yml"),
    }
    assert "`monitoring/alerts.yml` (3 alerts)" in only(run_rule("MON004", tmp_path, files)).message


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"deploy/k8s/prometheusrule.yaml": PROMETHEUS_RULE}, id="crd"),
        pytest.param({"charts/churn/templates/rule.yaml": HELM_RULE}, id="helm"),
        pytest.param({"grafana/alerting.yaml": GRAFANA_ALERTING}, id="grafana"),
    ],
)
def test_rules_promtool_cannot_load_are_not_judged(tmp_path: Path, files: Files) -> None:
    assert run_rule("MON004", tmp_path, files) == []


# -- MON005: a dashboard ---------------------------------------------------------------------

DASHBOARD = {
    "title": "Churn model",
    "schemaVersion": 39,
    "panels": [{"type": "timeseries", "title": "Predictions per second"}],
}


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"monitoring/grafana/dashboard.json": json.dumps(DASHBOARD)}, id="json"),
        pytest.param(
            {"dashboards/churn.json": json.dumps({"dashboard": DASHBOARD, "overwrite": True})},
            id="api-wrapped",
        ),
        pytest.param(
            {
                "grafana/old.json": json.dumps(
                    {"title": "Old", "rows": [{"title": "r", "panels": [{"type": "graph"}]}]}
                )
            },
            id="rows",
        ),
        pytest.param(
            {
                "grafana/provisioning/dashboards/churn.yaml": "apiVersion: 1\nproviders:\n"
                "  - name: churn\n    type: file\n    options:\n      path: /var/lib/grafana\n"
            },
            id="provisioning",
        ),
        pytest.param(
            {
                "deploy/k8s/dashboard.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                "  name: churn-dashboard\n  labels:\n    grafana_dashboard: '1'\n"
                "data:\n  churn.json: '{}'\n"
            },
            id="sidecar-configmap",
        ),
        pytest.param(
            {
                "deploy/dashboard.yaml": "apiVersion: grafana.integreatly.org/v1beta1\n"
                "kind: GrafanaDashboard\nmetadata: {name: churn}\n"
            },
            id="grafana-operator",
        ),
        pytest.param(
            {
                "monitoring/churn.jsonnet": "local grafana = "
                "import 'grafonnet/grafana.libsonnet';\n"
                "grafana.dashboard.new('Churn')\n"
            },
            id="grafonnet",
        ),
        pytest.param(
            {"monitoring/churn.dashboard.py": "from grafanalib.core import Dashboard\n"},
            id="grafanalib",
        ),
        pytest.param(
            {
                "infra/grafana.tf": 'resource "grafana_dashboard" "churn" {\n'
                '  config_json = file("churn.json")\n}\n'
            },
            id="terraform",
        ),
    ],
)
def test_a_dashboard_in_any_form_grafana_reads_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("MON005", tmp_path, files) == []


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({}, id="nothing"),
        pytest.param(
            {"ui/layout.json": json.dumps({"title": "Layout", "panels": "left,right"})},
            id="json-that-mentions-panels",
        ),
        pytest.param(
            {"grafana/empty.json": json.dumps({"title": "Churn", "panels": []})}, id="no-panels"
        ),
        pytest.param({"docs/examples/dashboard.json": json.dumps(DASHBOARD)}, id="example-in-docs"),
        pytest.param(
            {
                "grafana/provisioning/datasources/prom.yaml": "apiVersion: 1\ndatasources:\n"
                "  - name: Prometheus\n    type: prometheus\n"
            },
            id="datasource-provisioning",
        ),
    ],
)
def test_without_a_dashboard_the_repository_fails(tmp_path: Path, files: Files) -> None:
    finding = only(run_rule("MON005", tmp_path, {"README.md": "# Churn\n", **files}))
    assert finding.message.startswith("no Grafana dashboard is defined in the repository")


def test_a_broken_dashboard_json_is_a_pc002_warning(tmp_path: Path) -> None:
    files = {"monitoring/grafana/dashboard.json": '{"title": "Churn", "panels": [\n'}
    result = audit_tree(tmp_path, files, select=["MON005", "PC002"])
    assert sorted((f.rule_id, f.path) for f in result.findings) == [
        ("MON005", None),
        ("PC002", "monitoring/grafana/dashboard.json"),
    ]


# -- MON006: drift is monitored --------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "from evidently import Report\nfrom evidently.presets import DataDriftPreset\n",
        "import whylogs as why\n",
        "import nannyml as nml\n",
        "from alibi_detect.cd import KSDrift\n",
        "from deepchecks.tabular.checks import FeatureDrift\n",
        "from river import drift\ndetector = drift.ADWIN()\n",
        "from sagemaker.model_monitor import DefaultModelMonitor\n",
        "from prometheus_client import Gauge\nPSI = Gauge('feature_psi', 'PSI', ['feature'])\n",
    ],
)
def test_a_drift_library_or_metric_in_code_passes(tmp_path: Path, module: str) -> None:
    assert run_rule("MON006", tmp_path, {"src/churn/monitoring.py": module}) == []


@pytest.mark.parametrize(
    "rule_text",
    [
        "groups:\n- name: d\n  rules:\n  - alert: InputDrift\n    expr: max(input_psi) > 0.2\n",
        "groups:\n- name: d\n  rules:\n  - record: churn:drift:max\n    expr: max(kl_div)\n",
    ],
)
def test_a_drift_alert_or_recording_rule_passes(tmp_path: Path, rule_text: str) -> None:
    assert run_rule("MON006", tmp_path, {ALERTS: rule_text}) == []


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({APP: METRICS_APP}, id="no-drift-at-all"),
        pytest.param({"tests/test_drift.py": "import evidently\n"}, id="only-in-tests"),
        pytest.param(
            {
                "notebooks/drift.ipynb": json.dumps(
                    {
                        "cells": [
                            {
                                "cell_type": "code",
                                "source": "import evidently",
                                "metadata": {},
                                "outputs": [],
                                "execution_count": None,
                            }
                        ],
                        "metadata": {},
                        "nbformat": 4,
                        "nbformat_minor": 5,
                    }
                )
            },
            id="only-in-a-notebook",
        ),
        pytest.param(
            {"src/churn/checks.py": "from deepchecks.tabular.suites import data_integrity\n"},
            id="deepchecks-integrity-only",
        ),
        pytest.param({"README.md": "We will monitor drift with Evidently.\n"}, id="readme"),
        pytest.param(
            {"src/churn/db.py": "import sqlalchemy  # the driver is psycopg\n"},
            id="driver-is-not-river",
        ),
    ],
)
def test_without_drift_monitoring_the_repository_fails(tmp_path: Path, files: Files) -> None:
    finding = only(run_rule("MON006", tmp_path, files))
    assert finding.message.startswith("nothing monitors data or prediction drift")


# -- OPS001: a runbook names every alert -----------------------------------------------------


@pytest.mark.parametrize(
    "runbook_files",
    [
        pytest.param({RUNBOOK: runbook(*COMPLETE)}, id="headings"),
        pytest.param(
            {
                "RUNBOOK.md": "When `higherrorrate` fires, roll back. For HIGHLATENCY scale out. "
                "PredictionDrift: retrain.\n"
            },
            id="root-runbook-text-any-case",
        ),
        pytest.param(
            {
                RUNBOOK: "# Runbook\n\n## High error rate\n\n## High latency\n\n"
                "## Prediction drift\n"
            },
            id="spaced-headings",
        ),
        pytest.param(
            {f"runbooks/{n.lower()}.md": f"# {n}\n\nWhat to do.\n" for n in COMPLETE},
            id="runbooks-directory",
        ),
        pytest.param(
            {"services/api/docs/runbook.md": runbook(*COMPLETE)}, id="monorepo-service-runbook"
        ),
    ],
)
def test_a_runbook_naming_every_alert_passes(tmp_path: Path, runbook_files: Files) -> None:
    assert run_rule("OPS001", tmp_path, {ALERTS: alert_file(*COMPLETE), **runbook_files}) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/churn/blob/main/docs/runbook.md#prediction-drift",
        "../docs/runbook.md#prediction-drift",
        "https://wiki.acme.example.org/ml/churn/drift",
        "runbooks/prediction-drift.md",
    ],
)
def test_a_runbook_url_annotation_covers_its_alert(tmp_path: Path, url: str) -> None:
    files = {
        ALERTS: alert_file(*COMPLETE, annotations={"PredictionDrift": url}),
        RUNBOOK: runbook("HighErrorRate", "HighLatency") + "## Prediction drift\n\nRetrain.\n",
        "runbooks/prediction-drift.md": "# Drift\n",
    }
    files[RUNBOOK] = files[RUNBOOK].replace("PredictionDrift", "")
    assert run_rule("OPS001", tmp_path, files) == []


def test_a_helm_built_runbook_url_cannot_be_judged_and_passes(tmp_path: Path) -> None:
    text = HELM_RULE.replace(
        "        - alert: HighLatency\n",
        "        - alert: HighLatency\n          annotations:\n"
        "            runbook_url: '{{ .Values.runbookBase }}/high-latency'\n",
    )
    files = {"charts/churn/templates/rule.yaml": text,
             RUNBOOK: runbook("HighErrorRate", "PredictionsStalled")}  # fmt: skip
    assert run_rule("OPS001", tmp_path, files) == []


def test_each_alert_missing_from_the_runbook_is_a_finding_at_its_line(tmp_path: Path) -> None:
    files = {ALERTS: alert_file(*COMPLETE), RUNBOOK: runbook("HighErrorRate")}
    findings = run_rule("OPS001", tmp_path, files)
    assert [f.message.split(" (")[0] for f in findings] == [
        "alert `HighLatency`",
        "alert `PredictionDrift`",
    ]
    assert "is not named in the runbook `docs/runbook.md`" in findings[0].message
    assert "(`monitoring/alerts.yml` line 6)" in findings[0].message
    assert [line_of(tmp_path, f).strip() for f in findings] == [
        "- alert: HighLatency",
        "- alert: PredictionDrift",
    ]


def test_without_any_runbook_one_finding_lists_the_alerts(tmp_path: Path) -> None:
    finding = only(run_rule("OPS001", tmp_path, {ALERTS: alert_file(*COMPLETE)}))
    assert finding.message.startswith(
        "no runbook (`docs/runbook.md`, `RUNBOOK.md` or a `runbooks/` directory) says what to do "
        "when `HighErrorRate`, `HighLatency` and `PredictionDrift` fire"
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "https://github.com/acme/churn/blob/main/docs/runbook.md#drift",
            "its `runbook_url` anchor `#drift` is not a heading of `docs/runbook.md`",
        ),
        (
            "runbooks/drift.md",
            "its `runbook_url` points at `runbooks/drift.md`, which is not in the repository",
        ),
        ("https://example.com/runbook", "is not named in the runbook `docs/runbook.md`:"),
    ],
)
def test_a_runbook_url_that_leads_nowhere_does_not_cover(
    tmp_path: Path, url: str, says: str
) -> None:
    files = {
        ALERTS: alert_file(*COMPLETE, annotations={"PredictionDrift": url}),
        RUNBOOK: runbook("HighErrorRate", "HighLatency"),
    }
    finding = only(run_rule("OPS001", tmp_path, files))
    assert "alert `PredictionDrift`" in finding.message
    assert says in finding.message


def test_a_longer_name_in_the_runbook_does_not_cover_a_shorter_alert(tmp_path: Path) -> None:
    files = {ALERTS: alert_file(*COMPLETE), RUNBOOK: runbook("HighErrorRateFast", *COMPLETE[1:])}
    assert "alert `HighErrorRate`" in only(run_rule("OPS001", tmp_path, files)).message


def test_an_alert_defined_twice_is_reported_once(tmp_path: Path) -> None:
    text = alert_file(*COMPLETE, "HighLatency")
    files = {ALERTS: text, RUNBOOK: runbook("HighErrorRate", "PredictionDrift")}
    assert "alert `HighLatency`" in only(run_rule("OPS001", tmp_path, files)).message


def test_a_runbook_in_tests_does_not_count(tmp_path: Path) -> None:
    files = {ALERTS: alert_file(*COMPLETE), "tests/runbook.md": runbook(*COMPLETE)}
    assert only(run_rule("OPS001", tmp_path, files)).message.startswith("no runbook")


def test_without_alerts_ops001_says_nothing(tmp_path: Path) -> None:
    assert run_rule("OPS001", tmp_path, {APP: METRICS_APP}) == []


def test_ops001_is_skipped_when_mon003_fails(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {ALERTS: alert_file("ServiceDown")}, select=["MON003", "OPS001"])
    assert {f.rule_id for f in result.findings} == {"MON003"}


# -- OPS002: SLOs are written down -----------------------------------------------------------

SLO_DOC = """\
# Service level objectives

| objective | target |
|---|---|
| latency of `/v1/predict` | p99 under 300 ms |
| availability (non-5xx responses) | 99.5% over 28 days |
"""
OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: churn-latency}
spec:
  description: 99% of predictions within 300ms
  indicatorRef: predict-latency
  objectives: [{target: 0.99}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: churn-availability}
spec:
  description: non-5xx responses
  indicatorRef: predict-success
  objectives: [{target: 0.995}]
"""
SLOTH = """\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: churn}
spec:
  service: churn
  slos:
    - name: requests-availability
      objective: 99.5
      sli: {events: {error_query: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))'}}
    - name: requests-latency
      objective: 99
      sli: {events: {error_query: 'sum(rate(http_request_duration_seconds_bucket{le="0.3"}[5m]))'}}
"""
PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: churn-latency}
spec:
  target: "99"
  indicator:
    latency:
      success: {metric: 'http_request_duration_seconds_bucket{le="0.3"}'}
      total: {metric: http_request_duration_seconds_count}
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: churn-errors}
spec:
  target: "99.5"
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{code=~"5.."}'}
      total: {metric: http_requests_total}
"""


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"docs/slo.md": SLO_DOC}, id="slo-doc"),
        pytest.param(
            {
                "docs/SLO.md": "# SLOs\n\n## Latency\n\n"
                "99% of predictions are answered within 250ms."
                "\n\n## Errors\n\nFewer than 0.5% of requests fail over 30 days.\n"
            },
            id="sections-and-error-budget",
        ),
        pytest.param(
            {
                "README.md": "# Churn\n\n## Install\n\nmake setup\n\n"
                "## Service level objectives\n\n"
                "- p95 latency: 200 ms\n- availability: 99.9%\n\n## License\n\nMIT\n"
            },
            id="readme-section",
        ),
        pytest.param(
            {
                RUNBOOK: "# Runbook\n\n## SLOs\n\n### Latency\n\np99 < 0.5 s\n\n"
                "### Availability\n\n99.5 %\n"
            },
            id="runbook-section-with-subsections",
        ),
        pytest.param({"slo/churn.yaml": OPENSLO}, id="openslo"),
        pytest.param({"deploy/sloth.yaml": SLOTH}, id="sloth"),
        pytest.param({"deploy/k8s/slo.yaml": PYRRA}, id="pyrra"),
    ],
)
def test_latency_and_availability_targets_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("OPS002", tmp_path, files) == []


def test_without_slos_the_finding_asks_for_both_targets(tmp_path: Path) -> None:
    finding = only(run_rule("OPS002", tmp_path, {"README.md": "# Churn model\n"}))
    assert finding.message.startswith("no SLOs are written down")
    assert finding.path is None


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        pytest.param(
            "# SLOs\n\nLatency: p99 under 300 ms.\n", "give no availability target", id="latency"
        ),
        pytest.param(
            "# SLOs\n\nAvailability: 99.9% over 28 days.\n",
            "give no latency target",
            id="availability",
        ),
        pytest.param(
            "# SLOs\n\nThe service should be fast and reliable.\n",
            "give no latency target (a time with a unit, such as p99 under 300 ms) and no "
            "availability target",
            id="neither",
        ),
        pytest.param(
            "# SLOs\n\nAvailability: 80% of the time.\nLatency measured over 30 days.\n",
            "give no latency target (a time with a unit, such as p99 under 300 ms) and no "
            "availability target",
            id="not-targets",
        ),
    ],
)
def test_an_slo_document_names_the_missing_target(tmp_path: Path, text: str, missing: str) -> None:
    finding = only(run_rule("OPS002", tmp_path, {"docs/slo.md": text}))
    assert f"the SLOs in `docs/slo.md` {missing}" in finding.message
    assert finding.path == "docs/slo.md"


def test_a_heading_inside_a_code_fence_is_not_an_slo_section(tmp_path: Path) -> None:
    readme = "# Churn\n\n```bash\n# SLO\necho p99 300 ms 99.9% availability\n```\n"
    finding = only(run_rule("OPS002", tmp_path, {"README.md": readme}))
    assert finding.message.startswith("no SLOs are written down")


def test_an_alert_answered_elsewhere_is_suppressed_on_its_line(tmp_path: Path) -> None:
    text = alert_file(*COMPLETE).replace(
        "- alert: PredictionDrift",
        "- alert: PredictionDrift  # prodcheck: ignore[OPS001] the data team's playbook",
    )
    result = audit_tree(
        tmp_path, {ALERTS: text, RUNBOOK: runbook(*COMPLETE[:2])}, select=["OPS001"]
    )
    assert result.findings == []
    assert [s.suppression.reason for s in result.suppressed] == ["the data team's playbook"]
