"""The registry: rule ids are a public contract, so a bad declaration fails at import time."""

from __future__ import annotations

import pytest

from prodcheck.findings import Principle, Scope, Severity
from prodcheck.registry import (
    ID_PATTERN,
    SLUG_PATTERN,
    Registry,
    RegistryError,
    UnknownRuleError,
    load_rules,
    rule,
    rule_as_dict,
)


def declare(
    registry: Registry,
    rule_id: str = "XX001",
    slug: str | None = None,
    *,
    doc: str | None = "Why it matters.",
    **overrides: object,
) -> None:
    """Declare a repo-scoped rule into `registry`, with valid metadata unless overridden."""
    metadata: dict[str, object] = {
        "stage": 1,
        "principle": Principle.ENGINEERING,
        "severity": Severity.ERROR,
        "scope": Scope.REPO,
        "summary": "Something holds.",
        "remedy": "Make it hold.",
    }
    metadata.update(overrides)

    def check(repo):
        return []

    check.__doc__ = doc
    slug = f"slug-{rule_id.lower()}" if slug is None else slug
    rule(rule_id, slug, registry=registry, **metadata)(check)  # type: ignore[arg-type]


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    declare(registry, "BC001")
    declare(registry, "BC002")
    declare(registry, "OWN001")
    return registry


# -- what a declaration must be -------------------------------------------------------------


def test_a_valid_declaration_is_registered_with_its_docstring_as_rationale(registry):
    declare(registry, "DATA001", "tracked-data-export", doc="Data exports go stale.")

    declared = registry.get("DATA001")
    assert (declared.slug, declared.rationale, declared.family) == (
        "tracked-data-export",
        "Data exports go stale.",
        "DATA",
    )


def test_a_duplicate_id_is_refused(registry):
    with pytest.raises(RegistryError, match=r"'BC001'.*id is already declared"):
        declare(registry, "BC001", "another-slug")


@pytest.mark.parametrize(
    "bad_id", ["bc001", "B001", "BUSIN001", "BC01", "BC0001", "BC-001", "001", "BC001 "]
)
def test_a_malformed_id_is_refused(registry, bad_id):
    with pytest.raises(RegistryError, match="id must be 2-4 capital letters and 3 digits"):
        declare(registry, bad_id, "some-slug")


@pytest.mark.parametrize(
    "bad_slug",
    [
        "Business-Case",
        "business_case",
        "business case",
        "-business",
        "business-",
        "business--case",
        "1-case",
        "",
    ],
)
def test_a_slug_that_is_not_kebab_case_is_refused(registry, bad_slug):
    with pytest.raises(RegistryError, match="slug must be kebab-case"):
        declare(registry, "BC009", bad_slug)


def test_a_duplicate_slug_is_refused(registry):
    with pytest.raises(RegistryError, match="slug 'slug-bc001' is already used"):
        declare(registry, "BC009", "slug-bc001")


@pytest.mark.parametrize("doc", [None, "", "   \n  "], ids=["no docstring", "empty", "blank"])
def test_a_check_without_a_rationale_is_refused(registry, doc):
    with pytest.raises(RegistryError, match="rationale is empty"):
        declare(registry, "BC009", doc=doc)


@pytest.mark.parametrize("field", ["summary", "remedy"])
def test_a_blank_summary_or_remedy_is_refused(registry, field):
    with pytest.raises(RegistryError, match=f"{field} is empty"):
        declare(registry, "BC009", **{field: " "})


@pytest.mark.parametrize("stage", [-1, 4])
def test_a_stage_outside_0_to_3_is_refused(registry, stage):
    with pytest.raises(RegistryError, match="stage must be 0-3"):
        declare(registry, "BC009", stage=stage)


def test_a_file_scoped_rule_must_say_which_files_it_reads(registry):
    with pytest.raises(RegistryError, match=r"must say which files it reads \(files=...\)"):
        declare(registry, "DATA001", scope=Scope.FILE)


def test_a_rule_may_only_require_rules_declared_before_it(registry):
    with pytest.raises(RegistryError, match="requires rules not declared before it: BC007"):
        declare(registry, "BC009", requires=("BC001", "BC007"))


def test_a_rule_cannot_require_itself(registry):
    with pytest.raises(RegistryError, match="requires rules not declared before it: BC009"):
        declare(registry, "BC009", requires=("BC009",))


def test_every_problem_of_a_declaration_is_named_at_once(registry):
    with pytest.raises(RegistryError) as refused:
        declare(registry, "BC001", "slug-bc002", doc=None)

    message = str(refused.value)
    assert all(
        problem in message
        for problem in (
            "id is already declared",
            "'slug-bc002' is already used",
            "rationale is empty",
        )
    )


def test_a_refused_rule_is_not_registered(registry):
    with pytest.raises(RegistryError):
        declare(registry, "BC009", doc=None)

    assert "BC009" not in registry
    assert len(registry) == 3


# -- naming rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["BC001"], {"BC001"}),
        (["bc002", " OWN001 "], {"BC002", "OWN001"}),
        (["BC"], {"BC001", "BC002"}),
        (["own"], {"OWN001"}),
        (["ALL"], {"BC001", "BC002", "OWN001"}),
        (["all"], {"BC001", "BC002", "OWN001"}),
        (["BC", "BC001"], {"BC001", "BC002"}),
        ([], set()),
    ],
    ids=[
        "an id",
        "ids in any case",
        "a family",
        "a family in lower case",
        "ALL",
        "all",
        "overlapping",
        "nothing",
    ],
)
def test_resolve_expands_ids_and_families(registry, codes, expected):
    assert registry.resolve(codes) == expected


@pytest.mark.parametrize("code", ["BC999", "XYZ", "B", "BC0", "BC001,BC002", ""])
def test_resolving_an_unknown_id_or_family_is_an_error_naming_it(registry, code):
    with pytest.raises(UnknownRuleError, match=f"unknown rule id or family {code!r}"):
        registry.resolve(["BC001", code])


def test_get_accepts_any_case_and_refuses_an_unknown_id(registry):
    assert registry.get("own001").id == "OWN001"
    with pytest.raises(UnknownRuleError, match="unknown rule id 'OWN404'"):
        registry.get("OWN404")


def test_rules_are_listed_by_stage_then_id(registry):
    declare(registry, "AAA001", stage=2)
    declare(registry, "ZZ001", stage=0)

    assert [r.id for r in registry] == ["ZZ001", "BC001", "BC002", "OWN001", "AAA001"]


def test_the_public_json_shape_of_a_rule(registry):
    assert rule_as_dict(registry.get("BC001")) == {
        "id": "BC001",
        "slug": "slug-bc001",
        "stage": 1,
        "principle": "engineering",
        "severity": "error",
        "scope": "repo",
        "summary": "Something holds.",
        "rationale": "Why it matters.",
        "remedy": "Make it hold.",
    }


# -- the real registry ----------------------------------------------------------------------

REAL_RULES = list(load_rules())


@pytest.mark.parametrize("declared", REAL_RULES, ids=[r.id for r in REAL_RULES])
def test_every_registered_rule_has_full_metadata(declared):
    assert ID_PATTERN.match(declared.id)
    assert SLUG_PATTERN.match(declared.slug)
    assert declared.stage in range(4)
    assert isinstance(declared.principle, Principle)
    assert isinstance(declared.severity, Severity)
    assert isinstance(declared.scope, Scope)
    assert declared.summary.strip() and "\n" not in declared.summary, "a one-line summary"
    assert declared.rationale.strip()
    assert declared.remedy.strip()
    assert declared.check is not None or declared.family == "PC", "only PC rules have no check"
    if declared.scope is Scope.FILE and declared.check is not None:
        assert declared.files


def test_the_real_registry_holds_the_audit_health_rules_the_engine_raises():
    assert {"PC001", "PC002", "PC003", "PC004", "PC005"} <= {r.id for r in REAL_RULES}
    assert all(r.severity is Severity.WARNING for r in REAL_RULES if r.family == "PC")
