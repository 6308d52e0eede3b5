#!/usr/bin/env bash
# Checks a running commsd HTTP API against its OpenAPI description.
#
#   Tests/Support/api-contract.sh BASE_URL TOKEN [SPEC]
#
#   BASE_URL  e.g. http://127.0.0.1:8470 (loopback only: this sends generated traffic)
#   TOKEN     a bearer token; for full coverage one whose scope is every
#             audience, max_priority = "flash", read_only = false, audit = true
#   SPEC      default: docs/openapi.json of this repository
#
# Environment:
#   API_CONTRACT_HOOK_SECRET   the whsec_… secret of the configured hook sources:
#                              requests to /v1/hooks/{source} are then signed with
#                              it (Standard Webhooks), so they get past the
#                              signature check instead of counting as failed
#                              authentications. Without it those requests are
#                              sent as generated (401, then the throttle's 429).
#   API_CONTRACT_RECEIPT_ENDPOINT, API_CONTRACT_RECEIPT_SECRET
#                              a configured GatewayAPI endpoint with receipts and
#                              its receipt_secret: requests to /v1/receipts/{endpoint}
#                              and /v1/inbound/{endpoint}
#                              then go to it, signed as GatewayAPI signs (a JWT
#                              in X-Gwapi-Signature over the body's members), so
#                              they reach the receipt's own checks instead of
#                              counting as failed authentications. Before the
#                              run, a few questions (signed MO SMS from numbers
#                              nobody has) are sent to /v1/inbound/{endpoint}, so
#                              that /v1/inquiries has open inquiries for the
#                              stateful phase to show, answer, assign and close
#                              (seen only by a token whose scope is every
#                              audience: they are unmatched).
#   API_CONTRACT_AUDIENCES     comma-separated configured audiences: half of the
#                              generated messages are sent to some of them, so
#                              they get past the scope check into intake (and
#                              some are accepted); without it nearly all get 403.
#   API_CONTRACT_APPROVAL_AUDIENCE  an audience that asks for approval, which the
#                              token may decide: every other approve or reject is
#                              made on a fresh message to it (a 200 to check)
#   API_CONTRACT_MAX_EXAMPLES  generated cases per operation and phase (default 25)
#   API_CONTRACT_SEED          Hypothesis seed (default 20261125: reproducible runs;
#                              "random" for a new one each run)
#   API_CONTRACT_TIMEOUT       seconds before schemathesis is stopped (default 240)
#   API_CONTRACT_WORKERS       schemathesis workers (default 1: reproducible order)
#   PYTHON                     the Python with the tools (default python3)
#
# 1. openapi-spec-validator: the document is valid OpenAPI 3.1.
# 2. schemathesis: generated requests (examples, coverage, fuzzing, stateful
#    phases; positive and negative data) against the live server; every answer
#    must not be a 5xx, must have a documented status, content type, headers
#    and a body matching the documented schema; and a request that violates
#    the documented request schema must be refused (4xx), so the document
#    forbids nothing the server takes.
#
# Exit status: 0 when both pass; 1 when either finds a failure (its report on
# stdout); 2 when the tools could not be had or the server does not answer,
# so a caller can tell "fails the contract" from "could not check".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}

die() { printf 'api-contract: %s\n' "$*" >&2; exit 2; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $0 BASE_URL TOKEN [SPEC]"
BASE_URL=${1%/}
TOKEN=$2
SPEC=${3:-$ROOT/docs/openapi.json}
MAX_EXAMPLES=${API_CONTRACT_MAX_EXAMPLES:-25}
SEED=${API_CONTRACT_SEED:-20261125}
TIMEOUT=${API_CONTRACT_TIMEOUT:-240}
# One worker: with two, the order of requests (and so what the stateful
# phase reaches, e.g. a cancel that finds its message) varied from run to
# run despite the seed; one CI run found no 2xx for a cancel.
WORKERS=${API_CONTRACT_WORKERS:-1}

[ -f "$SPEC" ] || die "no spec at $SPEC"
case "$BASE_URL" in
  http://127.* | https://127.* | http://localhost[:/]* | https://localhost[:/]* | \
    http://\[::1\]* | https://\[::1\]*) ;;
  *) die "BASE_URL must be a loopback address (127.0.0.0/8, localhost, [::1]), not $BASE_URL" ;;
esac
[ -n "$TOKEN" ] || die "TOKEN is empty"
# Loopback never goes through a proxy.
export no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"

# --- the tools ------------------------------------------------------------------
has_tools() {
  "$PYTHON" -c 'import schemathesis, openapi_spec_validator' >/dev/null 2>&1
}
if ! has_tools; then
  echo "api-contract: schemathesis or openapi-spec-validator missing; running scripts/install-deps.sh" >&2
  "$ROOT/scripts/install-deps.sh" >&2 || true
  has_tools || die "schemathesis and openapi-spec-validator are needed (scripts/install-deps.sh installs them)"
fi

# --- the server answers ------------------------------------------------------------
"$PYTHON" - "$BASE_URL" <<'PY' || die "nothing answers GET $BASE_URL/healthz"
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=10) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(f"api-contract: {error}", file=sys.stderr)
    sys.exit(1)
PY

WORK=$(mktemp -d "${TMPDIR:-/tmp}/api-contract.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- 1. the document ------------------------------------------------------------------
echo "== openapi-spec-validator $SPEC"
spec_status=0
"$PYTHON" -m openapi_spec_validator "$SPEC" || spec_status=1

# --- 2. the live server ------------------------------------------------------------------
# Signs hook requests (see API_CONTRACT_HOOK_SECRET): the body is turned into
# the exact bytes that will be sent, and the three headers are set for them.
cat >"$WORK/contract_hooks.py" <<'PY'
import base64, hashlib, hmac, os, time, uuid

import schemathesis
from requests.compat import json as requests_json  # what requests encodes `json=` with

SECRET = os.environ.get("API_CONTRACT_HOOK_SECRET", "")
RECEIPT_ENDPOINT = os.environ.get("API_CONTRACT_RECEIPT_ENDPOINT", "")
RECEIPT_SECRET = os.environ.get("API_CONTRACT_RECEIPT_SECRET", "")


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _gatewayapi_jwt(claims):
    """GatewayAPI's X-Gwapi-Signature: an HS256 JWT over the receipt's fields."""
    header = _b64url(b'{"typ":"JWT","alg":"HS256"}')
    payload = _b64url(requests_json.dumps(claims, allow_nan=False).encode("utf-8"))
    mac = hmac.new(RECEIPT_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64url(mac.digest())}"


def _wire_bytes(body):
    """The bytes schemathesis' requests transport sends for a JSON body."""
    from schemathesis.core import NOT_SET
    if body is NOT_SET:
        return b""
    if isinstance(body, bytes):
        return body
    if body is None:
        return b"null"
    if not isinstance(body, (dict, list, str, int, float, bool)):
        body = str(body)  # schemathesis' Binary goes as the JSON string of its text
    return requests_json.dumps(body, allow_nan=False).encode("utf-8")


# Generated audience names are almost never configured ones, so nearly every
# generated message would stop at the scope check (403). Half of the message
# bodies whose audiences are strings get configured ones instead, to reach
# intake's own validation and a 202.
AUDIENCES = [a for a in os.environ.get("API_CONTRACT_AUDIENCES", "").split(",") if a]
MESSAGE_ROUTES = {"/v1/messages", "/v1/messages/{id}/supersede", "/v1/drafts", "/v1/drafts/{id}"}


DECISION_ROUTES = {"/v1/messages/{id}/approve", "/v1/messages/{id}/reject"}


@schemathesis.hook
def flatmap_body(context, body):
    from hypothesis import strategies as st
    operation = context.operation
    # A generated audience name is no audience the message waits for (409):
    # half of the decisions leave it out, to reach a decision.
    if (
        operation is not None and operation.path in DECISION_ROUTES and isinstance(body, dict)
        and isinstance(body.get("audience"), str)
    ):
        # Only a string, as the document allows: leaving out a wrong type
        # would turn a case meant to be refused into a valid one.
        return st.one_of(st.just(body), st.just({k: v for k, v in body.items() if k != "audience"}))
    if (
        not AUDIENCES or operation is None or operation.path not in MESSAGE_ROUTES
        or not isinstance(body, dict) or not isinstance(body.get("audiences"), list)
        or not all(isinstance(name, str) for name in body["audiences"])
    ):
        return st.just(body)
    configured = st.lists(st.sampled_from(AUDIENCES), min_size=1, unique=True)
    return st.one_of(st.just(body), configured.map(lambda names: {**body, "audiences": names}))


# A decision needs a message that waits for approval, which no generated id
# names: with API_CONTRACT_APPROVAL_AUDIENCE (an audience that asks for
# approval, where the token may decide), every other approve or reject is
# made on a fresh message to it, so its answer (200, and its schema) is
# checked against a real decision.
APPROVAL_AUDIENCE = os.environ.get("API_CONTRACT_APPROVAL_AUDIENCE", "")
BASE_URL = os.environ.get("API_CONTRACT_BASE_URL", "")
TOKEN = os.environ.get("API_CONTRACT_TOKEN", "")
_decisions = [0]


def _posted_id(path, body):
    """POSTs `body` to `path` with the token; the id in the answer."""
    import urllib.request
    request = urllib.request.Request(
        BASE_URL + path, data=requests_json.dumps(body).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=10) as response:
        return requests_json.loads(response.read())["id"]


def _waiting_message():
    return _posted_id("/v1/messages", {
        "audiences": [APPROVAL_AUDIENCE], "priority": "normal",
        "subject": "Til godkendelse", "body": "Venter på godkendelse.",
    })


# An edit needs an open draft at the revision it names, which no generated
# id or number is: every other edit is made to a fresh draft (revision 1).
_edits = [0]


def _fresh_draft():
    return _posted_id(
        "/v1/drafts", {"audiences": [AUDIENCES[0]], "subject": "Udkast", "body": "Et udkast."})


@schemathesis.hook
def before_call(context, case, **kwargs):
    if AUDIENCES and case.operation.path == "/v1/drafts/{id}" and case.operation.method.upper() == "PUT":
        _edits[0] += 1
        if _edits[0] % 2 == 0:
            case.path_parameters = {**(case.path_parameters or {}), "id": _fresh_draft()}
            case.query = {k: v for k, v in (case.query or {}).items() if k != "revision"}
        return
    if APPROVAL_AUDIENCE and case.operation.path in DECISION_ROUTES:
        _decisions[0] += 1
        if _decisions[0] % 2 == 0:
            case.path_parameters = {**(case.path_parameters or {}), "id": _waiting_message()}
        return
    if RECEIPT_SECRET and case.operation.path.startswith(("/v1/receipts/", "/v1/inbound/")):
        case.path_parameters = {**(case.path_parameters or {}), "endpoint": RECEIPT_ENDPOINT}
        claims = case.body if isinstance(case.body, dict) else {}
        try:
            token = _gatewayapi_jwt(claims)
        except (TypeError, ValueError):
            token = _gatewayapi_jwt({})
        case.headers = {**(case.headers or {}), "X-Gwapi-Signature": token}
        return
    if not SECRET or not case.operation.path.startswith("/v1/hooks/"):
        return
    body = _wire_bytes(case.body)
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    event = "evt_" + uuid.uuid4().hex
    timestamp = str(int(time.time()))
    digest = hmac.new(key, f"{event}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    headers = dict(case.headers or {})
    headers.update({
        "webhook-id": event,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    })
    case.headers = headers


@schemathesis.hook
def filter_failure(context, failure, case, response):
    # With the secret, the hook headers sent are the harness's own valid ones,
    # not the generated (possibly invalid) ones: "invalid header accepted" is
    # then no finding.
    if SECRET and case.operation.path.startswith("/v1/hooks/") \
            and getattr(failure, "code", "") == "ST201" and "webhook-" in (failure.message or ""):
        return False
    if RECEIPT_SECRET and case.operation.path.startswith(("/v1/receipts/", "/v1/inbound/")) \
            and getattr(failure, "code", "") == "ST201" \
            and ("signature" in (failure.message or "").lower() or "endpoint" in (failure.message or "")):
        return False
    return True
PY

# Open inquiries to work on: a question from a number nobody has becomes an
# unmatched inquiry (POST /v1/inbound/{endpoint}, signed as GatewayAPI signs).
# Each one can be closed or answered only once, so there are several; new
# provider ids each run, so a second run against the same daemon gets new ones.
if [ -n "${API_CONTRACT_RECEIPT_ENDPOINT:-}" ] && [ -n "${API_CONTRACT_RECEIPT_SECRET:-}" ]; then
  (
    cd "$WORK"
    "$PYTHON" - "$BASE_URL" <<'PY'
import sys, time, urllib.error, urllib.parse, urllib.request

from contract_hooks import RECEIPT_ENDPOINT, _gatewayapi_jwt
from requests.compat import json as requests_json

base = sys.argv[1]
first = int(time.time() * 1000)
url = f"{base}/v1/inbound/{urllib.parse.quote(RECEIPT_ENDPOINT, safe='')}"
for index in range(6):
    sms = {
        "id": first + index, "msisdn": 4599000100 + index, "receiver": 451204,
        "message": f"Spørgsmål {index + 1}: hvornår kan vi komme hjem?",
        "senttime": int(time.time()),
    }
    request = urllib.request.Request(
        url, data=requests_json.dumps(sms).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "X-Gwapi-Signature": _gatewayapi_jwt(sms)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except (OSError, urllib.error.HTTPError) as error:
        print(f"api-contract: could not send a question to {url}: {error}", file=sys.stderr)
        sys.exit(1)
PY
  ) || die "the questions for /v1/inquiries were not taken"
fi

checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_headers_conformance,response_schema_conformance,negative_data_rejection
seed_args=()
[ "$SEED" = random ] || seed_args=(--seed "$SEED")

# Through $PYTHON (no `python -m schemathesis`: the package has no __main__).
st() { "$PYTHON" -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())' "$@"; }
echo "== schemathesis $(st --version 2>/dev/null | awk '{print $NF}') against $BASE_URL ($MAX_EXAMPLES examples per operation)"
# Receipts and inbound SMS are a gateway's routes, not an integrator's: they
# are checked in a run of their own (examples, coverage, fuzzing), so that the
# main run's stateful phase spends its steps on the integrators' routes as
# before (with receipts among them, a supersede of a real message was reached
# less often). Both are signed as GatewayAPI signs them (before_call).
gateway='^/v1/(receipts|inbound)/'

run_st() {  # PHASES, then filter options
  local phases=$1
  shift
  (
    cd "$WORK"
    export SCHEMATHESIS_HOOKS=contract_hooks PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}"
    export API_CONTRACT_BASE_URL="$BASE_URL" API_CONTRACT_TOKEN="$TOKEN"
    exec timeout --signal=INT --kill-after=10 "$TIMEOUT" \
      "$PYTHON" -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())' \
      run "$SPEC" \
      --url "$BASE_URL" \
      --header "Authorization: Bearer $TOKEN" \
      --checks "$checks" \
      --phases "$phases" \
      --max-examples "$MAX_EXAMPLES" \
      "${seed_args[@]}" \
      --generation-database none \
      --suppress-health-check filter_too_much,too_slow \
      --workers "$WORKERS" \
      --request-timeout 20 \
      --no-color \
      --output-sanitize true \
      "$@"
  )
}
run_status=0
run_st examples,coverage,fuzzing,stateful --exclude-path-regex "$gateway" || run_status=$?
if [ "$run_status" -eq 0 ]; then
  run_st examples,coverage,fuzzing --include-path-regex "$gateway" || run_status=$?
fi

if [ "$run_status" -eq 124 ] || [ "$run_status" -eq 130 ] || [ "$run_status" -eq 137 ]; then
  echo "api-contract: schemathesis did not finish within ${TIMEOUT}s" >&2
  run_status=1
fi

if [ "$spec_status" -ne 0 ] || [ "$run_status" -ne 0 ]; then
  echo "api-contract: FAILED (spec validation exit $spec_status, schemathesis exit $run_status)"
  exit 1
fi
echo "api-contract: OK"
