"""Every rule of the standard, one module per principle; importing this package declares them."""

from prodcheck.rules import (
    audit_health,
    business_case,
    container,
    data,
    engineering,
    governance,
    lifecycle,
    monitoring,
    notebooks,
    ownership,
    secrets,
    service,
)

__all__ = [
    "audit_health",
    "business_case",
    "container",
    "data",
    "engineering",
    "governance",
    "lifecycle",
    "monitoring",
    "notebooks",
    "ownership",
    "secrets",
    "service",
]
