#!/usr/bin/env bash
# Installs the project's test tools on demand, idempotently; each subcommand prints the tool's
# path on stdout (and nothing else there: progress goes to stderr), so callers can write
#   st=$(scripts/tools.sh schemathesis)
#   wrk=$(scripts/tools.sh wrk)
#
#   scripts/tools.sh schemathesis   schemathesis, pinned, in <repo>/.venv (a fast no-op once there)
#   scripts/tools.sh wrk            the HTTP benchmark tool, from Debian's `wrk` package
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"

# The newest schemathesis when this was written. 4.x reads OpenAPI 3.1 documents as they are
# (3.x needed `--experimental=openapi-3.1`). Bump it together with the constraints below: they are
# its dependencies as pip resolved them for this version, so every machine tests with the same code.
SCHEMATHESIS_VERSION=4.32.5
read -r -d '' SCHEMATHESIS_CONSTRAINTS <<'EOF' || true
anyio==4.16.0
certifi==2026.10.18
charset-normalizer==3.5.2
click==8.5.1
graphql-core==3.3.2
harfile==0.6.0
hypothesis==6.170.15
hypothesis-graphql==0.13.5
idna==3.20
iniconfig==2.3.1
jsonschema_rs==0.60.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
packaging==26.3
pluggy==1.7.0
Pygments==2.21.0
pyrate-limiter==4.5.1
pytest==9.2.0
PyYAML==6.0.3
requests==2.34.2
rich==15.0.0
sortedcontainers==2.4.0
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
EOF

say() { echo "tools.sh: $*" >&2; }
die() { say "$*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# apt-get install, with `apt-get update` only when the install fails without it (a fresh machine
# has no package lists yet; an up-to-date one needs no network round trip).
apt_install() {
  is_root || die "$* is missing and only root can install it (apt-get install -y $*)"
  command -v apt-get >/dev/null || die "$* is missing and there is no apt-get to install it"
  export DEBIAN_FRONTEND=noninteractive
  say "installing $* (apt)…"
  if ! apt-get install -y -qq "$@" >&2; then
    say "retrying after apt-get update…"
    apt-get update -qq >&2
    apt-get install -y -qq "$@" >&2
  fi
}

# A Python ≥ 3.11 (schemathesis 4 requires it) that can make virtualenvs.
find_python() {
  local candidate
  for candidate in python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return
    fi
  done
  return 1
}

schemathesis_installed() {
  # The wheel's metadata folder names the version: no Python start-up needed for the usual case.
  [ -x "$venv/bin/st" ] && "$venv/bin/python" -c '' 2>/dev/null &&
    compgen -G "$venv/lib/python3*/site-packages/schemathesis-$SCHEMATHESIS_VERSION.dist-info" >/dev/null
}

cmd_schemathesis() {
  if schemathesis_installed; then
    echo "$venv/bin/st"
    return
  fi
  # Two callers at once (say, CI steps) must not build the same venv over each other. The lock
  # lives outside the repo (nothing to ignore) and outside the venv (which may be replaced).
  local lock
  lock="${TMPDIR:-/tmp}/dml-tools-$(printf %s "$venv" | cksum | cut -d' ' -f1).lock"
  exec 9>"$lock"
  if command -v flock >/dev/null; then flock 9; fi
  if schemathesis_installed; then
    echo "$venv/bin/st"
    return
  fi

  local python
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    : # a usable venv with another version (or a broken install): upgrade it in place
  else
    [ -e "$venv" ] && { say "removing the unusable virtualenv $venv"; rm -rf "$venv"; }
    python=$(find_python) || {
      apt_install python3 python3-venv
      python=$(find_python) || die "no Python ≥ 3.11 found (schemathesis $SCHEMATHESIS_VERSION needs one)"
    }
    say "creating $venv with $python…"
    if ! "$python" -m venv "$venv" >&2; then
      rm -rf "$venv"
      # Debian's own python3 makes venvs only with python3-venv (ensurepip) installed.
      apt_install python3-venv
      "$python" -m venv "$venv" >&2
    fi
  fi

  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv…"
  # Kept in the venv: it says what was installed.
  printf '%s\n' "$SCHEMATHESIS_CONSTRAINTS" >"$venv/constraints.txt"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet \
    --constraint "$venv/constraints.txt" "schemathesis==$SCHEMATHESIS_VERSION" >&2
  schemathesis_installed || die "schemathesis $SCHEMATHESIS_VERSION did not install into $venv"
  say "schemathesis $SCHEMATHESIS_VERSION ready"
  echo "$venv/bin/st"
}

cmd_wrk() {
  if ! command -v wrk >/dev/null 2>&1; then
    apt_install wrk
    command -v wrk >/dev/null 2>&1 || die "wrk did not install"
  fi
  command -v wrk
}

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  schemathesis | st) cmd_schemathesis ;;
  wrk) cmd_wrk ;;
  *) usage ;;
esac
