"""SEC001: no secrets in tracked files, notebook outputs included.

The fake credentials below are assembled at run time from a seeded generator, so this file
holds none itself (prodcheck, detect-secrets and push protection all stay quiet on it).
"""

from __future__ import annotations

import base64
import json
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from prodcheck.config import Config
from prodcheck.findings import Finding, Severity
from prodcheck.rules import secrets
from prodcheck.snapshot import Snapshot
from tests.helpers import audit_tree, build_tree, run_rule

_RNG = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits


def fake(alphabet: str, length: int) -> str:
    """A random-looking run that no detect-secrets heuristic mistakes for a placeholder."""
    return "".join(_RNG.choice(alphabet) for _ in range(length))


def jwt(payload: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.{fake(ALNUM, 43)}"


AWS_KEY_ID = "AKIA" + fake(string.ascii_uppercase + string.digits, 16)
AWS_SECRET = fake(ALNUM + "/+", 40)
GITHUB = "ghp" + "_" + fake(ALNUM, 36)
GITLAB = "glpat" + "-" + fake(ALNUM, 20)
SLACK = "xox" + "b-" + "2048123456-4096123456789-" + fake(string.ascii_lowercase, 24)
SLACK_HOOK = "https://hooks.slack" + ".com/services/T0" + fake(ALNUM, 8) + "/B0" + fake(ALNUM, 8)
SLACK_HOOK += "/" + fake(ALNUM, 24)
STRIPE = "sk" + "_live_" + fake(ALNUM, 24)
OPENAI = "sk-" + fake(ALNUM, 20) + "T3Blbk" + "FJ" + fake(ALNUM, 20)
HUGGING_FACE = "hf" + "_" + fake(string.ascii_letters, 34)
SENDGRID = "SG" + "." + fake(ALNUM, 22) + "." + fake(ALNUM, 43)
AZURE = "AccountKey" + "=" + fake(ALNUM + "+/", 86) + "=="
PYPI = "pypi-AgEIcHlwaS5vcmc" + fake(ALNUM, 80)
SQUARE = "sq0csp" + "-" + fake(ALNUM, 43)
JWT = jwt({"sub": "svc-churn", "scope": "predict"})
PASSWORD = "Tr0ub4dor" + "-" + fake(ALNUM, 6)
DB_URL = "postgresql://analyst:" + PASSWORD + "@warehouse.acme.internal:5432/sales"
KEY_BODY = [fake(ALNUM + "+/", 64) for _ in range(4)]
PRIVATE_KEY = "\n".join(
    ["-----BEGIN RSA " + "PRIVATE KEY-----", *KEY_BODY, "-----END RSA " + "PRIVATE KEY-----"]
)
NPMRC = "//registry.npmjs.org/:_auth" + "Token=npm_" + fake(ALNUM, 36)

EVERY_KIND = {
    "AWSKeyDetector": f'aws_access_key_id = "{AWS_KEY_ID}"',
    "AzureStorageKeyDetector": f'conn = "DefaultEndpointsProtocol=https;{AZURE}"',
    "BasicAuthDetector": f'engine = create_engine("{DB_URL}")',
    "GitHubTokenDetector": f'token = "{GITHUB}"',
    "GitLabTokenDetector": f'token = "{GITLAB}"',
    "JwtTokenDetector": f'headers = {{"Authorization": "Bearer {JWT}"}}',
    "NpmDetector": NPMRC,
    "OpenAIDetector": f'client = OpenAI(api_key="{OPENAI}")',
    "PrivateKeyDetector": PRIVATE_KEY,
    "PypiTokenDetector": f"password = {PYPI}",
    "SendGridDetector": f'sg = SendGridAPIClient("{SENDGRID}")',
    "SlackDetector": f'client = WebClient(token="{SLACK}")',
    "SquareOAuthDetector": f'secret = "{SQUARE}"',
    "StripeDetector": f'stripe.api_key = "{STRIPE}"',
    "HuggingFaceTokenDetector": f'login(token="{HUGGING_FACE}")',
}
LABELS = {kind.plugin: kind.label for kind in secrets.KINDS}


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def notebook(*cells: dict[str, object]) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def code(source: str, *outputs: dict[str, object]) -> dict[str, object]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": fake(string.hexdigits.lower(), 8),
        "metadata": {},
        "outputs": list(outputs),
        "source": source,
    }


def stream(text: str) -> dict[str, object]:
    return {"output_type": "stream", "name": "stdout", "text": text}


# -- what it finds ---------------------------------------------------------------------------


def test_a_clean_module_passes(tmp_path: Path) -> None:
    files = {"src/churn/extract.py": 'import os\n\nURL = os.environ["DATABASE_URL"]\n'}
    assert run_rule("SEC001", tmp_path, files) == []


@pytest.mark.parametrize("plugin", EVERY_KIND, ids=str)
def test_every_kind_of_secret_is_found_and_named(tmp_path: Path, plugin: str) -> None:
    files = {"src/churn/settings.py": f"import os\n\n{EVERY_KIND[plugin]}\n"}
    finding = only(run_rule("SEC001", tmp_path, files))
    assert finding.message.startswith(f"{LABELS[plugin]} is committed in `src/churn/settings.py`")
    assert finding.severity is Severity.ERROR
    assert (finding.path, finding.line, finding.cell) == ("src/churn/settings.py", 3, None)


@pytest.mark.parametrize("plugin", EVERY_KIND, ids=str)
def test_the_message_never_echoes_the_secret(tmp_path: Path, plugin: str) -> None:
    files = {"config.yaml": EVERY_KIND[plugin] + "\n"}
    message = only(run_rule("SEC001", tmp_path, files)).message
    value = EVERY_KIND[plugin]
    assert not any(value[i : i + 12] in message for i in range(len(value) - 12)), message


def test_an_aws_secret_access_key_in_a_boto3_call_is_found(tmp_path: Path) -> None:
    source = f'import boto3\n\ns3 = boto3.client("s3", aws_secret_access_key="{AWS_SECRET}")\n'
    finding = only(run_rule("SEC001", tmp_path, {"etl.py": source}))
    assert "an AWS Access Key" in finding.message
    assert finding.line == 3


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "config/.env.production",
        "deploy/prod.env",
        "docker/Dockerfile.prod",
        "Dockerfile",
        "services/api/Dockerfile",
        "Jenkinsfile",
        "Makefile",
        "deploy/.ssh/credentials",
        "deploy/values.yml",
        "conf/settings.ini",
        "scripts/deploy.sh",
        "docs/setup.md",
        "notes.txt",
        "infra/main.tf",
        "sql/load.sql",
        "app.json",
        ".netrc",
        "certs/service.pem",
    ],
)
def test_configuration_documentation_and_scripts_are_scanned(tmp_path: Path, path: str) -> None:
    finding = only(run_rule("SEC001", tmp_path, {path: f"DATABASE_URL={DB_URL}\n"}))
    assert finding.path == path
    assert finding.line == 1


@pytest.mark.parametrize(
    "path",
    ["data/customers.csv", "poetry.lock", "Pipfile.lock", "docs/swagger.yaml", "model.pkl"],
)
def test_data_exports_lock_files_and_binaries_are_not_scanned(tmp_path: Path, path: str) -> None:
    assert run_rule("SEC001", tmp_path, {path: f"url,{DB_URL}\n"}) == []


def test_test_files_are_scanned_because_a_real_key_leaks_from_them_too(tmp_path: Path) -> None:
    files = {"tests/test_extract.py": f'def test_reads():\n    key = "{AWS_KEY_ID}"\n'}
    finding = only(run_rule("SEC001", tmp_path, files))
    assert (finding.path, finding.line) == ("tests/test_extract.py", 2)


def test_two_secrets_on_two_lines_are_two_findings(tmp_path: Path) -> None:
    source = f'GH = "{GITHUB}"\nSTRIPE = "{STRIPE}"\n'
    findings = run_rule("SEC001", tmp_path, {"keys.py": source})
    assert [(f.line, f.message.split(" is ")[0]) for f in findings] == [
        (1, "a GitHub Token"),
        (2, "a Stripe Access Key"),
    ]


def test_a_private_key_file_is_found_at_its_header(tmp_path: Path) -> None:
    finding = only(run_rule("SEC001", tmp_path, {"deploy/id_rsa.pem": PRIVATE_KEY + "\n"}))
    assert "a Private Key" in finding.message
    assert finding.line == 1


def test_a_private_key_in_an_escaped_string_is_found(tmp_path: Path) -> None:
    escaped = PRIVATE_KEY.replace("\n", "\\n")
    files = {"settings.json": json.dumps({"private_key": "x"}).replace('"x"', f'"{escaped}"')}
    assert "a Private Key" in only(run_rule("SEC001", tmp_path, files)).message


# -- what it leaves alone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        pytest.param('URL = "postgresql://user:password@localhost:5432/db"', id="password"),
        pytest.param('URL = "postgresql://mlflow:mlflow@db:5432/mlflow"', id="user-is-password"),
        pytest.param('URL = "postgres://app:changeme@db/app"', id="changeme"),
        pytest.param('URL = "postgres://app:mysecretpassword@db/app"', id="docker-docs"),
        pytest.param('URL = "mysql://root:xxxx@db/app"', id="xxxx"),
        pytest.param('URL = "https://deploy:" + TOKEN + "@github.com/acme/churn"', id="code"),
        pytest.param('URL = f"postgresql://{user}:{password}@{host}/db"', id="f-string"),
        pytest.param("URL: postgresql://app:${DB_PASSWORD}@db/app", id="env-reference"),
        pytest.param("URL: postgresql://app:$DB_PASSWORD@db/app", id="dollar"),
        pytest.param("URL: postgresql://app:<password>@db/app", id="angle-placeholder"),
        pytest.param("URL: https://user:" + PASSWORD + "@db.example.com/x", id="example-host"),
        pytest.param("URL: postgresql://admin:" + PASSWORD + "@localhost:5432/x", id="loopback"),
        pytest.param('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"', id="aws-documentation-key"),
        pytest.param(
            'key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # aws docs', id="aws-docs-secret"
        ),
        pytest.param(
            'if pem.startswith("-----BEGIN RSA ' + 'PRIVATE KEY-----"):', id="key-header-only"
        ),
        pytest.param('id = "123e4567-e89b-12d3-a456-426614174000"', id="uuid"),
        pytest.param('password = "hunter2"', id="keyword-detector-is-off"),
        pytest.param('digest = "' + fake(ALNUM, 48) + '"', id="entropy-detectors-are-off"),
        pytest.param("ACCOUNT_SID = 'AC" + fake(string.digits + "abcdef", 32) + "'", id="twilio"),
        pytest.param('name = "APACHEAIRFLOWSCHEDULER"', id="artifactory-is-off"),
        pytest.param("host = 10.42.0.7:8080", id="ip-addresses-are-off"),
    ],
)
def test_placeholders_examples_and_noisy_shapes_are_not_secrets(tmp_path: Path, line: str) -> None:
    assert run_rule("SEC001", tmp_path, {"src/churn/settings.py": line + "\n"}) == []


def test_the_jwt_io_sample_token_is_a_published_example(tmp_path: Path) -> None:
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    claims = "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    sample = f"{header}.{claims}." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    assert run_rule("SEC001", tmp_path, {"README.md": f"    Bearer {sample}\n"}) == []


@pytest.mark.parametrize(
    "lines",
    [
        [f'key = "{AWS_KEY_ID}"  # pragma: allowlist secret'],
        ["# pragma: allowlist nextline secret", f'key = "{AWS_KEY_ID}"'],
        [f'key = "{AWS_KEY_ID}"  # prodcheck: ignore[SEC001] revoked test key'],
    ],
    ids=["allowlist", "allowlist-nextline", "prodcheck-ignore"],
)
def test_a_marked_fake_value_is_not_a_finding(tmp_path: Path, lines: list[str]) -> None:
    result = audit_tree(tmp_path, {"tests/test_s3.py": "\n".join(lines) + "\n"}, select=["SEC001"])
    assert result.findings == []


def test_an_inline_suppression_is_reported_with_its_reason(tmp_path: Path) -> None:
    source = f'key = "{AWS_KEY_ID}"  # prodcheck: ignore[SEC001] revoked test key\n'
    result = audit_tree(tmp_path, {"tests/test_s3.py": source}, select=["SEC001"])
    assert [s.suppression.reason for s in result.suppressed] == ["revoked test key"]


# -- notebooks -------------------------------------------------------------------------------


def test_a_secret_in_a_code_cell_points_at_the_cell_and_its_line(tmp_path: Path) -> None:
    nb = notebook(
        code("import pandas as pd"), code(f"import os\nos.environ['HF'] = '{HUGGING_FACE}'")
    )
    finding = only(run_rule("SEC001", tmp_path, {"notebooks/eda/01_load.ipynb": nb}))
    assert (finding.path, finding.cell, finding.line) == ("notebooks/eda/01_load.ipynb", 1, 2)
    assert finding.message.startswith("a Hugging Face Token is committed in `notebooks/")


def test_a_secret_printed_into_an_output_is_found(tmp_path: Path) -> None:
    nb = notebook(code("print(os.environ)", stream(f"{{'DATABASE_URL': '{DB_URL}'}}\n")))
    finding = only(run_rule("SEC001", tmp_path, {"explore.ipynb": nb}))
    assert (finding.cell, finding.line) == (0, None)
    assert "is committed in a cell output of `explore.ipynb`" in finding.message


@pytest.mark.parametrize(
    "output",
    [
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/plain": [f"'{SLACK}'"]}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad token",
         "traceback": ["Traceback (most recent call last)", f"  token = '{SLACK}'"]},
    ],
    ids=["text/plain", "traceback"],
)  # fmt: skip
def test_text_results_and_tracebacks_are_outputs_too(
    tmp_path: Path, output: dict[str, object]
) -> None:
    finding = only(run_rule("SEC001", tmp_path, {"nb.ipynb": notebook(code("x", output))}))
    assert "a Slack Token is committed in a cell output" in finding.message


def test_markdown_cells_are_scanned(tmp_path: Path) -> None:
    cell = {"cell_type": "markdown", "id": "notes", "metadata": {}, "source": f"`{GITHUB}`"}
    finding = only(run_rule("SEC001", tmp_path, {"nb.ipynb": notebook(cell)}))
    assert (finding.cell, finding.line) == (0, 1)


def test_image_outputs_are_not_scanned(tmp_path: Path) -> None:
    picture = base64.b64encode(f"AWS AKIA{AWS_KEY_ID[4:]}".encode() * 50).decode()
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": picture}}
    assert run_rule("SEC001", tmp_path, {"plot.ipynb": notebook(code("plot()", image))}) == []


def test_a_suppression_in_the_cell_covers_its_outputs(tmp_path: Path) -> None:
    source = "print(url)  # prodcheck: ignore[SEC001] local sandbox, revoked"
    nb = notebook(code(source, stream(DB_URL + "\n")))
    result = audit_tree(tmp_path, {"nb.ipynb": nb}, select=["SEC001"])
    assert result.findings == []
    assert len(result.suppressed) == 1


def test_a_notebook_nbformat_cannot_read_is_scanned_as_text(tmp_path: Path) -> None:
    broken = '{"cells": [\n  "token = \\"' + GITHUB + '\\""\n'  # JSON that never closes
    result = audit_tree(tmp_path, {"nb.ipynb": broken}, select=["SEC001", "PC002"])
    assert sorted((f.rule_id, f.line) for f in result.findings) == [("PC002", None), ("SEC001", 2)]


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        json.dumps({"worksheets": [], "nbformat": 3}),
        "",
    ],
    ids=["no-cells", "nbformat-3", "empty"],
)
def test_odd_notebooks_are_no_crash_and_no_finding(tmp_path: Path, content: str) -> None:
    result = audit_tree(tmp_path, {"nb.ipynb": content}, select=["SEC001"])
    assert result.findings == []


def test_a_binary_file_with_a_text_suffix_is_no_crash(tmp_path: Path) -> None:
    blob = b"\x00\x01AKIA" + AWS_KEY_ID[4:].encode() + b"\x00" * 64
    result = audit_tree(tmp_path, {"weights.json": blob}, select=["SEC001"])
    assert [f.rule_id for f in result.findings] == []


# -- the prefilter equals a full scan --------------------------------------------------------

CORPUS: dict[str, str] = {
    "src/churn/settings.py": (
        "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n"
        '    database_url: str = "sqlite:///data/sample.db"\n'
        '    model_uri: str = "models:/churn@champion"\n'
    ),
    "src/churn/extract.py": (
        "import boto3\nimport pandas as pd\n\n"
        f's3 = boto3.client("s3", aws_access_key_id="{AWS_KEY_ID}",\n'
        f'                  aws_secret_access_key="{AWS_SECRET}")\n'
        'frame = pd.read_sql("select * from customers", "postgresql://app:app@db/app")\n'
    ),
    "src/churn/service/app.py": (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/healthz")\ndef healthz() -> dict[str, str]:\n    return {"status": "ok"}\n'
    ),
    "scripts/notify.py": f'import requests\n\nrequests.post("{SLACK_HOOK}", json={{}})\n',
    "scripts/publish.sh": f"#!/bin/sh\ntwine upload -u __token__ -p {PYPI} dist/*\n",
    "compose.yaml": (
        "services:\n  mlflow:\n    environment:\n"
        "      BACKEND_STORE_URI: postgresql://mlflow:mlflow@db:5432/mlflow\n"
        f"      SENDGRID_KEY: {SENDGRID}\n"
    ),
    ".env": f"OPENAI_API_KEY={OPENAI}\nHF_TOKEN={HUGGING_FACE}\nDATABASE_URL={DB_URL}\n",
    "deploy/key.pem": PRIVATE_KEY + "\n",
    "docs/aws.md": "Use `AKIAIOSFODNN7EXAMPLE` as in the AWS documentation.\n",
    "README.md": "# Churn\n\nSee https://github.com/acme/churn and `pip install -e .`\n",
    "notebooks/explore.ipynb": notebook(
        code("import os", stream(f"{GITLAB}\n")),
        code(f"stripe.api_key = '{STRIPE}'\nsquare = '{SQUARE}'"),
        code("df.head()", {"output_type": "display_data", "metadata": {},
                           "data": {"image/png": base64.b64encode(b"AWS" * 300).decode()}}),
    ),
    "notebooks/clean.ipynb": notebook(code("import pandas as pd\npd.read_csv(url)")),
    "config/app.json": json.dumps({"auth": f"Bearer {JWT}", "azure": f"...;{AZURE}"}),
    ".npmrc": NPMRC + "\n",
    "tests/test_keys.py": f'KEY = "{GITHUB}"  # pragma: allowlist secret\nOTHER = "{GITHUB}"\n',
}  # fmt: skip


def test_the_prefiltered_scan_finds_exactly_what_a_scan_of_every_line_finds(
    tmp_path: Path,
) -> None:
    build_tree(tmp_path, CORPUS)
    snapshot = Snapshot.scan(tmp_path, Config())
    prefiltered = {(f.path, f.line, f.cell, f.message) for f in run_rule("SEC001", tmp_path)}
    every_line = {
        (v.path, v.line, v.cell, v.message)
        for file in snapshot
        for v in secrets.secrets_in(snapshot, file, prefilter=False)
    }
    assert prefiltered == every_line
    found = {message.split(" is committed")[0] for *_, message in prefiltered}
    assert found == set(LABELS.values())  # the corpus holds every kind


def test_the_batched_byte_prefilter_agrees_with_the_per_file_test(tmp_path: Path) -> None:
    build_tree(tmp_path, CORPUS)
    snapshot = Snapshot.scan(tmp_path, Config())
    one_by_one = {
        file.path
        for file in snapshot
        if secrets.is_scanned(file.path)
        and secrets.may_hold_secret(
            secrets.without_embedded_images(snapshot.read_bytes(file.path) or b"")
        )
    }
    assert secrets.candidate_paths(snapshot) == one_by_one
    assert "notebooks/clean.ipynb" not in one_by_one
    assert "src/churn/service/app.py" not in one_by_one


@pytest.mark.parametrize("kind", secrets.KINDS, ids=lambda kind: kind.plugin)
def test_every_token_of_every_kind_reaches_the_byte_prefilter(kind: secrets._Kind) -> None:
    for token in kind.tokens:
        assert secrets.may_hold_secret(f"x {token} y".encode()), token


@pytest.mark.parametrize("plugin", EVERY_KIND, ids=str)
def test_every_sample_secret_holds_a_token_of_its_kind(plugin: str) -> None:
    kind = next(k for k in secrets.KINDS if k.plugin == plugin)
    assert any(token in EVERY_KIND[plugin] for token in kind.tokens)
    assert kind in [secrets.KINDS[i] for i in secrets.likely_kinds(EVERY_KIND[plugin])]


def test_the_shapes_are_detect_secrets_own_regular_expressions() -> None:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes = {c.__name__: c for c in get_mapping_from_secret_type_to_class().values()}
    for kind in secrets.KINDS:
        if kind.plugin in secrets.OURS:
            continue
        ours = [(shape.pattern, shape.flags) for shape in kind.shapes]
        if kind.plugin in secrets.NARROWED:  # only the vendor prefix's casing differs
            ours = [
                (p.replace("(?-i:aws|AWS|Aws)", "aws").replace("(?-i:xox)", "xox"), f)
                for p, f in ours
            ]
        theirs = [(p.pattern, p.flags) for p in classes[kind.plugin].denylist]
        assert ours == theirs, kind.plugin


STOCK = [k for k in secrets.KINDS if k.plugin not in secrets.NARROWED | set(secrets.OURS)]


def test_with_stock_plugins_and_filters_the_scan_equals_detect_secrets_own(
    tmp_path: Path,
) -> None:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import transient_settings

    lines = [value for plugin, value in EVERY_KIND.items() if plugin in {k.plugin for k in STOCK}]
    lines += [
        'URL = "postgresql://user:password@localhost/db"',
        f'KEY = "{GITHUB}"  # pragma: allowlist secret',
        'uuid = "123e4567-e89b-12d3-a456-426614174000"',
        'pem_header = "-----BEGIN RSA ' + 'PRIVATE KEY-----"',
    ]
    path = build_tree(tmp_path, {"corpus.py": "\n".join(lines) + "\n"}) / "corpus.py"
    settings = {
        "plugins_used": [{"name": kind.plugin} for kind in STOCK],
        "filters_used": [
            {"path": f"detect_secrets.filters.{name}"}
            for name in (
                "allowlist.is_line_allowlisted",
                "heuristic.is_sequential_string",
                "heuristic.is_potential_uuid",
                "heuristic.is_templated_secret",
                "heuristic.is_prefixed_with_dollar_sign",
                "heuristic.is_not_alphanumeric_string",
            )
        ],
    }
    with transient_settings(settings):
        theirs = {(s.line_number, s.type) for s in scan_file(str(path))}
    scanner = secrets.Scanner(STOCK, prodcheck_filters=False)
    types = {c.__name__: c.secret_type for c in _plugin_classes()}
    ours = {
        (hit.line, types[hit.plugin])
        for hit in scanner.scan(str(path), path.read_text().splitlines(), every_line=True)
    }
    assert ours == theirs
    assert len(theirs) >= len(STOCK)


def _plugin_classes() -> list[type]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return list(get_mapping_from_secret_type_to_class().values())


def test_embedded_images_are_cut_and_nothing_else() -> None:
    data = (
        b'{"outputs": [{"data": {"image/png": "QUtJQUFXUw==\\n", "text/plain": ["<Figure>"]}}],'
        b' "source": "x = \\"image/png\\": \\"AKIA\\""}'
    )
    stripped = secrets.without_embedded_images(data)
    assert b"QUtJQUFXUw" not in stripped
    assert b'"text/plain": ["<Figure>"]' in stripped
    assert b'x = \\"image/png\\": \\"AKIA\\"' in stripped


# -- cost --------------------------------------------------------------------------------------


def test_detect_secrets_is_not_imported_until_a_line_looks_like_a_secret(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "src/app.py": "import os\nURL = os.environ['DATABASE_URL']  # see https://x.org\n",
            "README.md": "Visit https://github.com/acme/churn for AWS setup.\n",
            "compose.yaml": (
                "services:\n  mlflow:\n    environment:\n"
                "      STORE: postgresql://mlflow:mlflow@db:5432/mlflow\n"
                "      DATABASE_URL: postgresql://app:${DB_PASSWORD}@db:5432/app\n"
                "      AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n"
            ),
        },
    )
    probe = (
        "import sys\nfrom pathlib import Path\nfrom prodcheck.commands.audit import audit_path\n"
        f"result = audit_path(Path({str(tmp_path)!r}), select=['SEC001'])\n"
        "assert result.findings == [], result.findings\n"
        "print('detect_secrets' in sys.modules)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False"
