"""Every rule of the standard, one module per principle; importing this package declares them."""

from prodcheck.rules import audit_health, business_case, ownership

__all__ = ["audit_health", "business_case", "ownership"]
