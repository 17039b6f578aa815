"""Governance: the data the model learns from is used under a written contract.

GOV001 reads the data contracts a repository keeps: a Markdown `docs/data-contract.md`
(front matter, headings or labelled lines), a Data Contract Specification file
(`datacontract.yaml`) or an Open Data Contract Standard file (`*.odcs.yaml`, or any YAML with
`kind: DataContract`). Each is judged on the four things an operator must know: where the
data comes from, who owns it, whether it holds personal data, and how long it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import is_test_path
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.rules.business_case import OPENING_LINE
from prodcheck.rules.lifecycle import files_named, read_markdown, topic_line
from prodcheck.rules.ownership import is_placeholder
from prodcheck.snapshot import Snapshot

MARKDOWN_CONTRACTS = ("data-contract.md", "data_contract.md", "datacontract.md")
YAML_CONTRACTS = ("datacontract.yaml", "datacontract.yml")
YAML_CONTRACT_SUFFIXES = (".datacontract.yaml", ".datacontract.yml", ".odcs.yaml", ".odcs.yml")


@lazy_dataclass(frozen=True)
class ContractElement:
    name: str
    """As the message names it."""
    pattern: Callable[[], re.Pattern[str]]
    """How a Markdown contract titles it (a front matter key, a heading or a label)."""

    @property
    def topic(self) -> re.Pattern[str]:
        return self.pattern()


SOURCE = ContractElement(
    "source",
    lazy(r"\b(?:sources?|origin|upstream|provenance|system\s+of\s+record|lineage)\b", re.I),
)
OWNER = ContractElement(
    "owner", lazy(r"\b(?:owners?|ownership|steward|producer|maintainer)\b", re.I)
)
PII = ContractElement(
    "PII classification",
    lazy(
        r"\b(?:pii|personal(?:ly)?|classification|sensitivity|sensitive|privacy|gdpr"
        r"|confidentiality)\b",
        re.I,
    ),
)
RETENTION = ContractElement(
    "retention",
    lazy(r"\b(?:retention|retained|retain|deletion|purge|ttl|expiry|expiration)\b", re.I),
)
ELEMENTS = (SOURCE, OWNER, PII, RETENTION)


@lazy_dataclass(frozen=True)
class DataContract:
    path: str
    missing: tuple[ContractElement, ...]
    problem: str | None = None
    """Why the file cannot be judged (broken YAML, not a mapping)."""


def _filled(value: Any) -> bool:
    return not is_placeholder(value) and value is not False


# -- the Data Contract Specification (datacontract.com) --------------------------------------


def _dcs_fields(contract: Mapping[Any, Any]) -> Iterator[Mapping[Any, Any]]:
    """Every field of every model (nested fields and array items included), and every
    definition, which fields may refer to."""
    stack: list[Any] = []
    models = contract.get("models")
    if isinstance(models, dict):
        stack.extend(m.get("fields") for m in models.values() if isinstance(m, dict))
    definitions = contract.get("definitions")
    if isinstance(definitions, dict):
        yield from (d for d in definitions.values() if isinstance(d, dict))
    while stack:
        fields = stack.pop()
        items = fields.values() if isinstance(fields, dict) else fields
        if not isinstance(items, list) and not isinstance(fields, dict):
            continue
        for field in items:
            if isinstance(field, dict):
                yield field
                stack.append(field.get("fields"))
                if isinstance(field.get("items"), dict):
                    stack.append([field["items"]])


def _dcs_missing(contract: Mapping[Any, Any]) -> list[ContractElement]:
    """`servers` for the source, `info.owner`, `pii`/`classification` on a field or definition,
    `servicelevels.retention` (or a retention policy among `terms.policies`)."""
    missing = []
    servers = contract.get("servers")
    if not (isinstance(servers, dict) and any(isinstance(s, dict) for s in servers.values())):
        missing.append(SOURCE)
    info = contract.get("info")
    if not (isinstance(info, dict) and _filled(info.get("owner"))):
        missing.append(OWNER)
    if not any(
        isinstance(field.get("pii"), bool) or _filled(field.get("classification"))
        for field in _dcs_fields(contract)
    ):
        missing.append(PII)
    if not _dcs_retention(contract):
        missing.append(RETENTION)
    return missing


def _dcs_retention(contract: Mapping[Any, Any]) -> bool:
    levels = contract.get("servicelevels")
    retention = levels.get("retention") if isinstance(levels, dict) else None
    if isinstance(retention, dict) and (
        _filled(retention.get("period"))
        or retention.get("unlimited") is True
        or _filled(retention.get("description"))
    ):
        return True
    terms = contract.get("terms")
    policies = terms.get("policies") if isinstance(terms, dict) else None
    return isinstance(policies, list) and any(
        isinstance(p, dict) and RETENTION.topic.search(str(p.get("name", ""))) for p in policies
    )


# -- the Open Data Contract Standard (bitol.io) ----------------------------------------------


def _odcs_properties(contract: Mapping[Any, Any]) -> Iterator[Mapping[Any, Any]]:
    """Every schema object and property, nested properties and array items included."""
    stack: list[Any] = [contract.get("schema")]
    while stack:
        items = stack.pop()
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict):
                yield item
                stack.append(item.get("properties"))
                if isinstance(item.get("items"), dict):
                    stack.append([item["items"]])


def _odcs_missing(contract: Mapping[Any, Any]) -> list[ContractElement]:
    """`servers` for the source, `team` (v3.0 list or v3.1 mapping) for the owner,
    `classification` on a schema object or property, `slaProperties` with `retention`."""
    missing = []
    servers = contract.get("servers")
    if not (isinstance(servers, list) and any(isinstance(s, dict) for s in servers)):
        missing.append(SOURCE)
    team = contract.get("team")
    members = team.get("members") if isinstance(team, dict) else team
    named_team = isinstance(team, dict) and _filled(team.get("name"))
    has_members = isinstance(members, list) and any(
        isinstance(m, dict) and (_filled(m.get("username")) or _filled(m.get("name")))
        for m in members
    )
    if not (named_team or has_members or _filled(contract.get("owner"))):
        missing.append(OWNER)
    if not any(_filled(p.get("classification")) for p in _odcs_properties(contract)):
        missing.append(PII)
    sla = contract.get("slaProperties")
    if not (
        isinstance(sla, list)
        and any(
            isinstance(p, dict)
            and str(p.get("property", "")).strip().lower() == "retention"
            and _filled(p.get("value"))
            for p in sla
        )
    ):
        missing.append(RETENTION)
    return missing


# -- reading the contracts -------------------------------------------------------------------


def _yaml_contract(repo: Snapshot, path: str) -> DataContract | None:
    """A YAML data contract judged; None for a YAML file that is not a data contract."""
    named = path.rpartition("/")[2].lower() in YAML_CONTRACTS or path.lower().endswith(
        YAML_CONTRACT_SUFFIXES
    )
    documents = repo.yaml_documents(path)
    data = documents[0] if documents else None
    if not isinstance(data, dict):
        if not named:
            return None
        text = repo.text(path)
        if text is None:
            what = "could not be read as text"
        elif not documents and text.strip():
            what = "is not valid YAML"
        else:
            what = "is not a mapping of contract keys"
        return DataContract(path, ELEMENTS, f"`{path}` {what}")
    judge: Callable[[Mapping[Any, Any]], list[ContractElement]]
    if "dataContractSpecification" in data:
        judge = _dcs_missing
    elif data.get("kind") == "DataContract" or ("apiVersion" in data and "schema" in data):
        judge = _odcs_missing
    elif named:
        judge = _dcs_missing
    else:
        return None
    return DataContract(path, tuple(judge(data)))


def _markdown_contract(repo: Snapshot, path: str) -> DataContract | None:
    markdown = read_markdown(repo, path)
    if markdown is None:
        return None
    missing = [e for e in ELEMENTS if topic_line(markdown, e.topic) is None]
    return DataContract(path, tuple(missing))


def data_contracts(repo: Snapshot) -> list[DataContract]:
    """Every data contract of the repository, judged once per audit."""
    return repo.memo(_data_contracts)


def _data_contracts(repo: Snapshot) -> list[DataContract]:
    contracts: list[DataContract] = []
    for path in files_named(repo, *MARKDOWN_CONTRACTS):
        contract = _markdown_contract(repo, path)
        if contract is not None:
            contracts.append(contract)
    yaml_paths = set(files_named(repo, *YAML_CONTRACTS))
    yaml_paths.update(
        f.path for f in repo.with_suffix(*YAML_CONTRACT_SUFFIXES) if not is_test_path(f.path)
    )
    # Any YAML that declares itself a contract: `dataContractSpecification:` or
    # `kind: DataContract` both hold these bytes.
    yaml_paths.update(
        f.path for f in repo.files_with(b"ataContract", ".yaml", ".yml") if not is_test_path(f.path)
    )
    for path in sorted(yaml_paths):
        contract = _yaml_contract(repo, path)
        if contract is not None:
            contracts.append(contract)
    contracts.sort(key=lambda c: (c.path != "docs/data-contract.md", c.path))
    return contracts


_CONTRACT = "docs/data-contract.md"


@rule(
    "GOV001",
    "data-contract-missing",
    stage=3,
    principle=Principle.GOVERNANCE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A data contract names the data's source, owner, PII classification and "
    "retention (`docs/data-contract.md` or `datacontract.yaml`).",
    remedy=(
        "Fill in the template's `docs/data-contract.md` (front matter keys, headings or "
        "`Key: value` lines for source, owner, PII classification and retention), or keep a "
        "`datacontract.yaml` (Data Contract Specification: `servers`, `info.owner`, `pii` or "
        "`classification` on fields, `servicelevels.retention`) or an Open Data Contract "
        "Standard file (`servers`, `team`, `classification`, a `retention` SLA property)."
    ),
    examples=Examples(
        failing={
            _CONTRACT: "---\nsource: postgresql://crm/accounts\nowner: '@acme/crm-data'\n---\n"
            "# Data contract: CRM accounts\n"
        },
        passing={
            _CONTRACT: "---\nsource: postgresql://crm/accounts\nowner: '@acme/crm-data'\n"
            "pii: email and phone are personal data, pseudonymised before training\n"
            "retention: 24 months, then deleted\n---\n# Data contract: CRM accounts\n"
        },
    ),
)
def data_contract_missing(repo: Snapshot) -> Iterator[Violation]:
    """Pilots train on whatever export someone had access to. In production that becomes a
    liability: nobody knows which system the data comes from when it changes shape, who to ask
    when it breaks, whether it holds personal data the model may not use, or when it must be
    deleted. A data contract answers those four questions before an incident or an auditor
    asks them.
    """
    contracts = repo.memo(_data_contracts)
    if any(not c.missing and c.problem is None for c in contracts):
        return
    consequence = (
        "nobody can tell where the data comes from, who answers for it, whether it holds "
        "personal data, or when it must be deleted"
    )
    if not contracts:
        yield Violation(
            f"no data contract (`{_CONTRACT}` or `datacontract.yaml`) names the data's source, "
            f"owner, PII classification and retention: {consequence}"
        )
        return
    for contract in contracts:
        if contract.problem is not None:
            yield Violation(
                f"{contract.problem}, so it names no source, owner, PII classification or "
                f"retention: {consequence}",
                contract.path,
            )
            continue
        names = [e.name for e in contract.missing]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        yield Violation(
            f"the data contract `{contract.path}` does not name the data's {listed}: {consequence}",
            contract.path,
            OPENING_LINE,
        )
