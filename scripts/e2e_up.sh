#!/usr/bin/env bash
# Install and start the real parts the tests drive: a Docker engine with a local Python base
# image, Prometheus (server and promtool), PostgreSQL on loopback, Chromium for the report's
# browser tests, wrk for the throughput bench, and an MLflow of the template's pinned version.
# Idempotent: what is installed or running already is left as it is, so a second run takes
# a second or two. Needs root and Debian's apt sources (CI machines, a Debian VM); `make test`
# runs it when it can.
#
# It prints the environment the tests read; `eval "$(scripts/e2e_up.sh)"` sets it:
#   PRODCHECK_BASE_IMAGE  the base image the generated Dockerfile is built FROM
#   PRODCHECK_POSTGRES    a PostgreSQL URL whose role may create databases
#   PRODCHECK_MLFLOW      the `mlflow` program the gate's registry tests start a server with
#
# No container registry is reachable from these machines, so the base image is not pulled:
# debootstrap builds a minimal Debian with Python from the same mirror apt uses, and
# `docker import` tags it. The tag is the cache: it is built once per Docker data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE="${PRODCHECK_BASE_IMAGE:-local/python:3.11}"
SUITE=bookworm  # its python3 is 3.11, which the wheelhouse is downloaded for
LOG_DIR="${TMPDIR:-/tmp}"

say() { echo "e2e_up: $*" >&2; }

# --- packages -------------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # Without an init system (CI machines) the packages' services do not start themselves:
    # this script starts what is not running, below, and leaves what is.
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# --- Docker engine --------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: $LOG_DIR/prodcheck-dockerd.log)"
    # Its own log, and no descriptor of ours: a daemon holding the caller's output open would
    # keep a CI runner waiting for the end of a log that never ends.
    nohup dockerd </dev/null >"$LOG_DIR/prodcheck-dockerd.log" 2>&1 &
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && break
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || { say "dockerd did not start"; tail -20 "$LOG_DIR/prodcheck-dockerd.log" >&2; exit 1; }
fi

# --- base image -----------------------------------------------------------------------------
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    mirror=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        # deb822: the first URIs line is the main archive (the security one comes later).
        mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
        mirror=$(awk '/^deb / && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$mirror" ] || { say "no Debian mirror found in apt's sources"; exit 1; }
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    say "building $BASE_IMAGE with debootstrap from $mirror (about a minute)"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
        "$SUITE" "$rootfs" "$mirror" >"$LOG_DIR/prodcheck-debootstrap.log" 2>&1 \
        || { tail -20 "$LOG_DIR/prodcheck-debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
    : >"$rootfs/etc/resolv.conf"
    : >"$rootfs/etc/hostname"
    tar -C "$rootfs" -c . | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'ENV LANG=C.UTF-8' \
        -c 'CMD ["python3"]' \
        - "$BASE_IMAGE" >&2
    rm -rf "$rootfs"
    trap - EXIT
fi

# --- PostgreSQL -----------------------------------------------------------------------------
cluster=$(pg_lsclusters --no-header | awk 'NR == 1 {print $1, $2}')
[ -n "$cluster" ] || { say "no PostgreSQL cluster (pg_createcluster creates one)"; exit 1; }
read -r pg_version pg_name <<<"$cluster"
if ! pg_lsclusters --no-header | awk 'NR == 1 {print $4}' | grep -q online; then
    say "starting PostgreSQL $pg_version/$pg_name"
    pg_ctlcluster "$pg_version" "$pg_name" start </dev/null >"$LOG_DIR/prodcheck-postgresql.log" 2>&1 \
        || { tail -20 "$LOG_DIR/prodcheck-postgresql.log" >&2; exit 1; }
fi
pg_port=$(pg_lsclusters --no-header | awk 'NR == 1 {print $3}')
# A role that may create databases: each test session makes a database of its own and drops it.
runuser -u postgres -- psql -q -p "$pg_port" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'prodcheck') THEN
        CREATE ROLE prodcheck LOGIN CREATEDB PASSWORD 'prodcheck';
    END IF;
END $$;
SQL

# --- MLflow ---------------------------------------------------------------------------------
# An environment of its own (prodcheck never imports MLflow), pinned as the template pins it.
mlflow_env=build/mlflow-env
if [ ! -x "$mlflow_env/bin/mlflow" ]; then
    say "installing MLflow into $mlflow_env"
    python3 -m venv "$mlflow_env"
    "$mlflow_env/bin/python" -m pip install -qq -c template/requirements.lock mlflow >&2
fi

echo "export PRODCHECK_MLFLOW=$PWD/$mlflow_env/bin/mlflow"
echo "export PRODCHECK_BASE_IMAGE=$BASE_IMAGE"
echo "export PRODCHECK_POSTGRES=postgresql://prodcheck:prodcheck@127.0.0.1:$pg_port/postgres"
