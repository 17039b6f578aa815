"""The money arithmetic of a business case, shared by BC003 and `prodcheck gate`.

Pure numbers in, numbers and the sentences that show them out: reading and judging the front
matter stays in `rules/business_case.py`, deciding stays in `commands/gate.py`. Keeping the
formatting here means the audit and the gate can never print the same amount two ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ONE_OFF_COSTS = frozenset({"build"})
"""Top-level lines of an `annual_cost` map paid once, not every year: spread over the horizon.

Only `build` (building the system: the pilot's engineering, the migration, the set-up) is
one-off. Everything else, nested lines included (`team: {ds: ..., mle: ...}`), is paid every
year. One name, not a guess from words such as "setup", so nobody wonders how a line counts.
"""

MONTHS_PER_YEAR = 12


def split_costs(costs: Any) -> tuple[Any, dict[Any, Any]]:
    """(recurring, one-off) lines of an `annual_cost` value; a plain number is all recurring."""
    if not isinstance(costs, Mapping):
        return costs, {}
    recurring = {k: v for k, v in costs.items() if k not in ONE_OFF_COSTS}
    return recurring, {k: v for k, v in costs.items() if k in ONE_OFF_COSTS}


def format_amount(amount: float) -> str:
    """50000 -> "50,000"; small amounts keep their cents (12.5 -> "12.50")."""
    return f"{amount:,.0f}" if amount.is_integer() or abs(amount) >= 1000 else f"{amount:,.2f}"


def percents(*fractions: float) -> list[str]:
    """Fractions as percentages, with just enough decimals to tell them apart (-90%, 0.04%)."""
    texts: list[str] = []
    for digits in range(4):
        texts = []
        for fraction in fractions:
            text = f"{fraction * 100:.{digits}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            texts.append(("0" if text == "-0" else text) + "%")
        if len(set(texts)) == len(set(fractions)):
            break
    return texts


@dataclass(frozen=True)
class Economics:
    """Value and cost of a business case per year, with one-off costs spread over the horizon.

    `annual_cost` is what the model costs in an average year of the horizon: the recurring
    lines plus an equal share of the one-off ones. That is the cost the ROI divides by, so a
    large build cost weighs on a short horizon and fades on a long one.
    """

    annual_value: float
    recurring_cost: float
    """Paid every year."""
    one_off_cost: float
    """Paid once (see ONE_OFF_COSTS), in total."""
    horizon_years: float

    @property
    def annual_one_off(self) -> float:
        return self.one_off_cost / self.horizon_years

    @property
    def annual_cost(self) -> float:
        return self.recurring_cost + self.annual_one_off

    @property
    def annual_net(self) -> float:
        return self.annual_value - self.annual_cost

    @property
    def roi(self) -> float:
        """(annual value - annual cost) / annual cost; the cost is never 0 (refused before)."""
        return self.annual_net / self.annual_cost

    @property
    def operating_net(self) -> float:
        """What a year brings once built: value less the recurring costs."""
        return self.annual_value - self.recurring_cost

    @property
    def payback_months(self) -> float | None:
        """Months until the operating net repays the one-off cost; None when it never does."""
        if self.operating_net <= 0:
            return None
        return self.one_off_cost / self.operating_net * MONTHS_PER_YEAR

    @property
    def pays_back_within_horizon(self) -> bool:
        months = self.payback_months
        return months is not None and months <= self.horizon_years * MONTHS_PER_YEAR

    def cost_arithmetic(self, unit: str = "") -> str:
        """How the annual cost is made up, such as "400,000 + 150,000 / 3 years = 450,000 EUR"."""
        if not self.one_off_cost:
            return f"{format_amount(self.annual_cost)}{unit}"
        years = _years(self.horizon_years)
        return (
            f"{format_amount(self.recurring_cost)} recurring + {format_amount(self.one_off_cost)} "
            f"one-off / {years} = {format_amount(self.annual_cost)}{unit}"
        )

    def roi_arithmetic(self) -> str:
        """The ROI with its sum shown: "(50,000 - 500,000) / 500,000 = -90%"."""
        value, cost = format_amount(self.annual_value), format_amount(self.annual_cost)
        return f"({value} - {cost}) / {cost} = {percents(self.roi)[0]}"

    def payback_text(self) -> str:
        """ "never", "immediately (no one-off cost)", or "8.0 months" (with the horizon)."""
        months = self.payback_months
        if months is None:
            return "never (the recurring cost is at least the value)"
        if not self.one_off_cost:
            return "immediately (no one-off cost)"
        horizon = self.horizon_years * MONTHS_PER_YEAR
        where = "within" if months <= horizon else "after"
        return f"{months:.1f} months, {where} the {_years(self.horizon_years)} horizon"


def _years(years: float) -> str:
    shown = f"{years:g}"
    return f"{shown} year" if years == 1 else f"{shown} years"
