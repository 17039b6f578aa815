"""GOV001: a data contract names the data's source, owner, PII classification and retention."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck.findings import Finding, Severity
from tests.helpers import run_rule
from tests.rules.conftest import Files


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


CONTRACT = "docs/data-contract.md"

FRONT_MATTER = """\
---
source: postgresql://crm.internal/accounts
owner: "@acme/crm-data"
pii: email and phone are personal data, pseudonymised before training
retention: 24 months, then deleted
---
# Data contract: CRM accounts
"""

HEADINGS = """\
# Data contract: CRM accounts

## Source

The `accounts` table of the CRM PostgreSQL database, read by `src/churn/data/extract.py`.

## Owner

@acme/crm-data (Dana Whitfield)

## PII classification

`email` and `phone` are personal data; the pipeline drops them before training.

## Retention

Training snapshots are deleted after 24 months.
"""

LABELS = """\
# Data contract: CRM accounts

| Field | Value |
|---|---|
| Source system | CRM (PostgreSQL) |
| Data owner | @acme/crm-data |
| Sensitivity | confidential: holds personal data |

- **Retention:** 24 months
"""

DCS = """\
dataContractSpecification: 1.1.0
id: urn:datacontract:crm:accounts
info:
  title: CRM accounts
  version: 1.0.0
  owner: crm-data-team
servers:
  production:
    type: postgres
    host: crm.internal
    database: crm
    schema: public
models:
  accounts:
    type: table
    fields:
      account_id:
        type: string
        required: true
      email:
        type: string
        pii: true
        classification: sensitive
servicelevels:
  retention:
    description: Snapshots are kept for two years
    period: P2Y
"""

ODCS = """\
apiVersion: v3.0.2
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: crm_accounts
version: 1.0.0
status: active
servers:
  - server: production
    type: postgres
    host: crm.internal
    database: crm
schema:
  - name: accounts
    physicalType: table
    properties:
      - name: email
        logicalType: string
        classification: restricted
team:
  - username: dwhitfield
    role: owner
slaProperties:
  - property: retention
    value: 2
    unit: y
"""


# -- contracts that pass ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({CONTRACT: FRONT_MATTER}, id="markdown-front-matter"),
        pytest.param({CONTRACT: HEADINGS}, id="markdown-headings"),
        pytest.param({CONTRACT: LABELS}, id="markdown-labels-and-table"),
        pytest.param({"DATA_CONTRACT.md": HEADINGS}, id="markdown-at-the-root"),
        pytest.param({"datacontract.yaml": DCS}, id="data-contract-specification"),
        pytest.param(
            {"contracts/accounts.datacontract.yml": DCS}, id="data-contract-specification-suffix"
        ),
        pytest.param({"contracts/accounts.odcs.yaml": ODCS}, id="odcs-v3.0"),
        pytest.param(
            {
                "contracts/accounts.yaml": ODCS.replace(
                    "team:\n  - username: dwhitfield\n    role: owner\n",
                    "team:\n  name: CRM data\n  members:\n    - username: dwhitfield\n",
                )
            },
            id="odcs-v3.1-team-by-kind",
        ),
        pytest.param({"services/churn/datacontract.yaml": DCS}, id="a-monorepo-service-contract"),
    ],
)
def test_a_complete_data_contract_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("GOV001", tmp_path, files) == []


def test_definitions_carry_the_pii_classification_too(tmp_path: Path) -> None:
    contract = DCS.replace("        pii: true\n        classification: sensitive\n", "").replace(
        "servicelevels:", "definitions:\n  email:\n    type: string\n    pii: true\nservicelevels:"
    )
    assert run_rule("GOV001", tmp_path, {"datacontract.yaml": contract}) == []


def test_one_complete_contract_is_enough(tmp_path: Path) -> None:
    files = {CONTRACT: "# Data contract\n\nSee `datacontract.yaml`.\n", "datacontract.yaml": DCS}
    assert run_rule("GOV001", tmp_path, files) == []


# -- contracts that fail ---------------------------------------------------------------------


def test_no_data_contract_fails(tmp_path: Path) -> None:
    finding = only(run_rule("GOV001", tmp_path, {"README.md": "# Churn\n"}))
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith(
        "no data contract (`docs/data-contract.md` or `datacontract.yaml`) names the data's "
        "source, owner, PII classification and retention"
    )
    assert "whether it holds personal data" in finding.message
    assert finding.path is None


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        pytest.param(
            FRONT_MATTER.replace(
                "pii: email and phone are personal data, pseudonymised before training\n", ""
            ).replace("retention: 24 months, then deleted\n", ""),
            "PII classification and retention",
            id="front-matter-without-pii-and-retention",
        ),
        pytest.param(
            FRONT_MATTER.replace('"@acme/crm-data"', "TBD"), "owner", id="a-placeholder-owner"
        ),
        pytest.param(
            HEADINGS.replace("Training snapshots are deleted after 24 months.", "TODO"),
            "retention",
            id="an-empty-section",
        ),
        pytest.param(
            "# Data contract\n\nThe data comes from the CRM.\n",
            "source, owner, PII classification and retention",
            id="prose-without-headings",
        ),
        pytest.param(
            "---\nsource: [unclosed\n---\n# Data contract\n",
            "source, owner, PII classification and retention",
            id="broken-front-matter",
        ),
    ],
)
def test_a_markdown_contract_lists_what_it_lacks(tmp_path: Path, text: str, missing: str) -> None:
    finding = only(run_rule("GOV001", tmp_path, {CONTRACT: text}))
    assert finding.message.startswith(
        f"the data contract `docs/data-contract.md` does not name the data's {missing}: "
    )
    assert (finding.path, finding.line) == (CONTRACT, 1)


@pytest.mark.parametrize(
    ("path", "text", "missing"),
    [
        pytest.param(
            "datacontract.yaml",
            DCS.replace("  owner: crm-data-team\n", ""),
            "owner",
            id="dcs-without-info-owner",
        ),
        pytest.param(
            "datacontract.yaml",
            DCS.replace("        pii: true\n        classification: sensitive\n", ""),
            "PII classification",
            id="dcs-without-pii",
        ),
        pytest.param(
            "datacontract.yaml",
            DCS.split("servicelevels:")[0],
            "retention",
            id="dcs-without-service-levels",
        ),
        pytest.param(
            "datacontract.yaml",
            DCS.replace(
                "servers:\n  production:\n    type: postgres\n    host: crm.internal\n"
                "    database: crm\n    schema: public\n",
                "",
            ),
            "source",
            id="dcs-without-servers",
        ),
        pytest.param(
            "contracts/accounts.odcs.yaml",
            ODCS.split("slaProperties:")[0],
            "retention",
            id="odcs-without-retention",
        ),
        pytest.param(
            "contracts/accounts.odcs.yaml",
            ODCS.replace("        classification: restricted\n", ""),
            "PII classification",
            id="odcs-without-classification",
        ),
    ],
)
def test_a_yaml_contract_lists_what_it_lacks(
    tmp_path: Path, path: str, text: str, missing: str
) -> None:
    finding = only(run_rule("GOV001", tmp_path, {path: text}))
    assert f"does not name the data's {missing}: " in finding.message
    assert finding.path == path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("dataContractSpecification: [1.1\n", "is not valid YAML", id="broken"),
        pytest.param("- accounts\n- orders\n", "is not a mapping", id="a-list"),
        pytest.param("", "is not a mapping", id="empty"),
    ],
)
def test_an_unreadable_contract_is_a_finding_not_a_crash(
    tmp_path: Path, text: str, says: str
) -> None:
    finding = only(run_rule("GOV001", tmp_path, {"datacontract.yaml": text}))
    assert finding.message.startswith(f"`datacontract.yaml` {says}")
    assert finding.path == "datacontract.yaml"


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"tests/fixtures/datacontract.yaml": DCS}, id="a-test-fixture"),
        pytest.param({"config/settings.yaml": "database: crm\nowner: dana\n"}, id="other-yaml"),
        pytest.param(
            {"README.md": "## Data contract\n\nSource: CRM. Owner: @acme/crm-data.\n"},
            id="a-readme",
        ),
    ],
)
def test_what_is_not_a_data_contract(tmp_path: Path, files: Files) -> None:
    assert only(run_rule("GOV001", tmp_path, files)).message.startswith("no data contract")
