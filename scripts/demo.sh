#!/usr/bin/env bash
# The main job end to end on embedded defaults. A new pilot generated from the template
# starts as a production system: install it from its lock, build its sample database, train
# and register its model in MLflow, serve it, send predictions, read its metrics and audit it
# (stage 2). Then the bundled legacy notebook pilot, audited the same way (stage 0), and the
# same pilot after days 1-30 give it a business case and owners (stage 1). It ends with the
# day-90 go/stop decision on the new pilot. `make demo` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

expect_exit() {  # expect_exit CODE COMMAND...: run it, show its output, insist on its exit code
    local want=$1 got=0
    shift
    "$@" || got=$?
    if [ "$got" -ne "$want" ]; then
        echo "demo: expected exit $want from '$*', got $got" >&2
        exit 1
    fi
}

scratch=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true  # uvicorn re-raises SIGTERM after draining: 143
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

pilot="$scratch/churn-prediction"
port=${DEMO_PORT:-18000}
echo "== Day 31: a new pilot, generated as a production system"
prodcheck new "$pilot" --defaults
make -C "$pilot" setup data pipeline

echo
echo "== Serving it on 127.0.0.1:$port"
(cd "$pilot" && exec .venv/bin/uvicorn churn_prediction.service.app:app --port "$port" --log-level warning) &
server=$!
for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
echo "POST /v1/predict $(cat "$pilot/tests/sample_request.json")"
curl -fsS -H 'Content-Type: application/json' --data @"$pilot/tests/sample_request.json" \
    "http://127.0.0.1:$port/v1/predict"
echo
echo "POST /v1/predict (a wrong type) -> $(curl -sS -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' --data '{"tenure_months": "many"}' \
    "http://127.0.0.1:$port/v1/predict")"
echo "GET /metrics (model metrics):"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^model_(info|ready|predictions_total)' || true

echo
echo "== The new pilot, audited: stage 2 (production foundation) with no error"
expect_exit 0 prodcheck audit "$pilot" --stage 2

echo
echo "== Side by side: a legacy notebook pilot as handed over (stage 0)"
expect_exit 1 prodcheck audit examples/legacy-pilot --stage 1

cp -r examples/legacy-pilot "$scratch/pilot"
mkdir -p "$scratch/pilot/docs"
cat > "$scratch/pilot/docs/business-case.md" <<'CASE'
---
problem: Customers cancel without warning; retention calls reach them too late.
annual_value: 420000        # churn prevented by earlier retention offers
annual_cost:
  run: 36000
  maintenance: 60000
  team: 90000
currency: EUR
horizon_years: 3
decision_date: 2027-03-01
success_metrics:
  - name: retained_revenue_eur
    kind: business
    target: 350000
    direction: higher
  - name: recall_at_top_decile
    kind: model
    target: 0.6
    direction: higher
---
# Business case: churn prediction
CASE
cat > "$scratch/pilot/OWNERS" <<'OWNERS'
model_owner: "@maria"
data_owner: "@crm-data"
engineering_owner: "@ml-platform"
on_call: ml-oncall@example.com
executive_sponsor: "@vp-sales"
backup_sponsor: "@head-of-cx"
OWNERS
cat > "$scratch/pilot/CODEOWNERS" <<'CODEOWNERS'
*.py @ml-platform
notebooks/ @maria
CODEOWNERS

echo
echo "== Day 30: the same pilot with a quantified business case and named owners"
expect_exit 0 prodcheck audit "$scratch/pilot" --stage 1

echo
echo "== Day 90: the go/stop decision for the new pilot (its pipeline's measured metrics against the business case)"
expect_exit 0 prodcheck gate "$pilot"
