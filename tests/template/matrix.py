"""The answers the template is tested with."""

from __future__ import annotations

# The answers a demanding matrix covers: each kind of project the questions can produce.
VARIANTS: dict[str, dict[str, str]] = {
    "defaults": {},
    "regression": {"problem_type": "regression"},
    "gitlab": {"ci_provider": "gitlab"},
    "no-ci": {"ci_provider": "none"},
    "kubernetes": {"kubernetes": "true"},
    "unusual-names": {
        "project_name": 'Émile\'s "Demand" Forecast 2',
        "package_name": "x9_forecast",
        "description": 'Forecasts next week\'s demand per store; "good enough" beats late.',
        "features": "[age_days, spend_30d, n_tickets]",
        "problem_type": "regression",
        "model_metric": "r2",
        "currency": "JPY",
        "python_version": "3.12",
        "model_owner": "emile.dupont@example.org",
        "on_call": "@team/forecast-oncall",
    },
}
