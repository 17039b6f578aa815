#!/usr/bin/env bash
# The main job end to end on embedded defaults: audit the bundled legacy notebook pilot
# (stage 0), then do what days 1-30 ask of its team in a scratch copy (quantify the prize,
# name the owners) and audit again (stage 1). Run through `make demo`.
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

echo "== Day 1: the pilot as handed over"
expect_exit 1 prodcheck audit examples/legacy-pilot --stage 1

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
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
