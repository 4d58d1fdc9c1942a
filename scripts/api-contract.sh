#!/usr/bin/env bash
# Contract test of a running API server against its own OpenAPI document, with schemathesis:
# every response must be documented (status code, content type, headers) and match its schema,
# and no request, however malformed, may get a 5xx.
#
#   scripts/api-contract.sh BASE_URL [BEARER_TOKEN] [EXTRA_ST_RUN_OPTIONS…]
#   scripts/api-contract.sh http://127.0.0.1:8080 "$token"
#   scripts/api-contract.sh http://127.0.0.1:8080 "" --include-path-regex '^/v1/bounties'
#
# Reads BASE_URL/openapi.json and sends every request to BASE_URL's host and port, under the path
# of the document's first `servers` entry (none: "/"); a BASE_URL with a path of its own is used
# whole instead. Sends `Authorization: Bearer TOKEN` when a token is given. Exits non-zero when a
# check fails.
# The run writes users, bounties and transactions: point it at a throwaway server only.
#
# Environment (all optional):
#   DML_CONTRACT_EXAMPLES=20     cases per operation in the fuzzing phase (the coverage phase adds
#                                its own: boundary values, wrong types, missing fields)
#   DML_CONTRACT_WORKERS=2       operations tested at once
#   DML_CONTRACT_TIMEOUT=10      seconds allowed per request (a slower response is a failure)
#   DML_CONTRACT_PHASES=examples,coverage,fuzzing   add `stateful` for link-following sequences
#   DML_CONTRACT_SEED=N          replay the same generated cases (the seed is printed every run)
#   DML_CONTRACT_STRICT=1        also require schema-invalid requests to be refused (see "Checks" below)
#   DML_CONTRACT_STREAM_PATHS='/stream$'   regex of server-sent-event operations, read briefly
#   DML_CONTRACT_REPORT_DIR=DIR  keep the JUnit and NDJSON reports there (default: a temp dir)
#   DML_CONTRACT_ALLOW_REMOTE=1  allow a BASE_URL that is not on this machine
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -lt 1 ] || [ -z "$1" ] || [[ "$1" == -* ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
base=${1%/}
token=${2:-}
shift $(($# < 2 ? $# : 2))

# The run creates accounts and moves (test) money: never aim it at a real deployment by mistake.
host=$(printf '%s' "$base" | sed -E 's#^[a-zA-Z]+://(\[[^]]*\]|[^/:]*).*#\1#')
case "$host" in
  localhost | 127.* | "[::1]") ;;
  *)
    if [ "${DML_CONTRACT_ALLOW_REMOTE:-}" != 1 ]; then
      echo "api-contract: $base is not a loopback address (set DML_CONTRACT_ALLOW_REMOTE=1 to test it anyway)" >&2
      exit 2
    fi
    ;;
esac
# Loopback never goes through a proxy, whatever the environment says.
export NO_PROXY="${NO_PROXY:+$NO_PROXY,}127.0.0.1,localhost,::1" no_proxy="${no_proxy:+$no_proxy,}127.0.0.1,localhost,::1"

st=$("$root/scripts/tools.sh" schemathesis)

work=$(mktemp -d "${TMPDIR:-/tmp}/api-contract.XXXXXX")
trap 'rm -rf "$work"' EXIT
reports=${DML_CONTRACT_REPORT_DIR:-$work/reports}
mkdir -p "$reports"
junit="$reports/junit.xml"

# Checks, each a property of every response:
#   not_a_server_error            no 5xx, for valid and for malformed requests alike
#   status_code_conformance       the status is one the operation documents (vacuous for an operation
#                                 with a `default` response: then every status is documented)
#   content_type_conformance      the Content-Type is one documented for that status
#   response_schema_conformance   the body validates against the documented schema (formats too)
#   response_headers_conformance  documented response headers are present when required and valid
#   ignored_auth                  an operation that declares `security` refuses (401/403) a request
#                                 without a token and one with an invalid token (one probe each)
# Left out by default:
#   positive_data_acceptance  wants 2xx (or 401/403/404/409) for every schema-valid request, but a
#       real API refuses schema-valid requests by its rules: 400 for a bad signature or hex, 422 for
#       an unknown country or dates out of order, 409 for a state. Noise, not contract.
#   negative_data_rejection, missing_required_header  want every schema-invalid request refused
#       (4xx). These do catch a server laxer than its document (a `limit` above `maximum` clamped
#       instead of refused, a `maxLength` not enforced), but every such leniency fails the run,
#       so they are opt-in: DML_CONTRACT_STRICT=1. Malformed requests are generated either way
#       (--mode all), so a 5xx or an undocumented error body on bad input always fails.
#   unsupported_method, allow_header_conformance  want 405 with an `Allow` header for undeclared
#       methods; the router answers an unknown route or method with 404 (still checked: no 5xx).
#   use_after_free, ensure_resource_availability, object_level_authorization  need the stateful
#       phase or several identities.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,ignored_auth
if [ "${DML_CONTRACT_STRICT:-}" = 1 ]; then
  checks="$checks,negative_data_rejection,missing_required_header"
fi

# Server-sent-event streams stay open for up to a minute: read a single event, or give up after
# 3 s of silence (a stream cut short is not a failure), and try few values.
config="$work/schemathesis.toml"
stream_paths=${DML_CONTRACT_STREAM_PATHS-'/stream$'}
# Failing cases are kept with the reports, for `st replay` (else in .schemathesis/ of the cwd).
# Warnings that mean the run proved nothing fail it: every request 404ing because the base URL
# misses a path the operations need, or a `$ref` that resolves to nothing. The others (only 401/403 or only 404 for an operation: a login with random passwords,
# an owner-only action, an unknown id) are shown but are a real API's normal answers.
cat >"$config" <<EOF
[warnings]
fail-on = ["base_url_mismatch", "unresolvable_reference"]

[cache]
directory = '$reports/cache'
EOF
if [ -n "$stream_paths" ]; then
  cat >>"$config" <<EOF
[[operations]]
include-path-regex = '$stream_paths'
request-timeout = 3
max-stream-events = 1
generation.max-examples = 3
EOF
fi

# --origin keeps the document's `servers` path (so `servers: [{url: /v1}]` with paths `/users`
# works as well as paths `/v1/users`) and replaces only scheme, host and port; --url is the
# complete base URL and ignores `servers`.
if [[ "$base" =~ ^[a-zA-Z]+://[^/]+$ ]]; then
  target=(--origin "$base")
else
  target=(--url "$base")
fi
args=(
  "${target[@]}"
  --checks "$checks"
  --mode all                                     # schema-valid and malformed requests
  --phases "${DML_CONTRACT_PHASES:-examples,coverage,fuzzing}"
  --max-examples "${DML_CONTRACT_EXAMPLES:-20}"  # bounds the fuzzing phase per operation
  --workers "${DML_CONTRACT_WORKERS:-2}"
  --request-timeout "${DML_CONTRACT_TIMEOUT:-10}"
  --wait-for-schema 30                           # the server may still be starting
  --generation-database none                     # no example database: each run starts afresh
  --report junit,ndjson --report-dir "$reports" --report-junit-path "$junit"
)
[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
[ -n "${DML_CONTRACT_SEED:-}" ] && args+=(--seed "$DML_CONTRACT_SEED")
[ -t 1 ] || args+=(--no-color)

echo "api-contract: $base/openapi.json, checks: $checks" >&2
started=$(date +%s)
set +e
# From the temp dir: schemathesis looks for a schemathesis.toml upwards from where it runs.
(cd "$work" && "$st" --config-file "$config" run "$base/openapi.json" "${args[@]}" "$@")
status=$?
set -e
elapsed=$(($(date +%s) - started))

# One closing line: operations tested and failed, from the JUnit report (one test case per operation).
summary=$("${st%/*}/python" - "$junit" <<'EOF' 2>/dev/null || true
import sys
import xml.etree.ElementTree as ET

cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
tested = failed = 0
names = []
for case in cases:
    tested += 1
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
        names.append(case.get("name"))
print(f"{tested} {failed} {', '.join(names)}")
EOF
)
read -r tested failed names <<<"${summary:-0 0}" || true
if [ "$status" -eq 0 ] && [ "${tested:-0}" -eq 0 ]; then
  echo "api-contract: FAIL: no operation was tested (is $base/openapi.json the right document?)" >&2
  exit 1
fi
if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then
  echo "api-contract: FAIL: schemathesis exit $status with no failing check: a warning that fails the run, or an error (see above), in ${elapsed}s"
elif [ "$status" -eq 0 ]; then
  echo "api-contract: PASS: ${tested} operations, none failing, in ${elapsed}s"
else
  echo "api-contract: FAIL: ${failed:-?} of ${tested:-?} operations failing${names:+ ($names)}, in ${elapsed}s (schemathesis exit $status; the failures and their curl reproductions are above)"
fi
if [ -n "${DML_CONTRACT_REPORT_DIR:-}" ]; then
  echo "api-contract: reports in $reports (replay failures: $st replay $reports/cache${token:+ -H 'Authorization: Bearer …'})" >&2
fi
exit "$status"
