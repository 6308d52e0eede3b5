#!/usr/bin/env bash
# Self-test of the test receivers (http_receiver.py, smtp_receiver.py).
# Not part of the Swift suite: it documents -- and checks -- how the receivers
# behave. Needs python3 with aiosmtpd, curl and openssl. Run:
#     Tests/Receivers/selftest.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/receivers-selftest.XXXXXX")
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

passed=0
failed=0
ok()   { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad()  { failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '      %s\n' "$2"; }
check() { # check NAME COMMAND...   (passes when COMMAND succeeds)
  local name=$1; shift
  if "$@" >"$TMP/check.out" 2>&1; then ok "$name"; else bad "$name" "$(cat "$TMP/check.out")"; fi
}
eq() { [ "$1" = "$2" ] || { echo "expected [$2], got [$1]"; return 1; }; }
fails() { ! "$@"; }

# expect FILE INDEX PYTHON-EXPR: record number INDEX (0-based, -1 = last) of the
# JSON-lines FILE is bound to `r`, and EXPR must be true. `n` is the line count.
expect() {
  "$PY" - "$@" <<'EOF'
import json, sys
path, index, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, encoding="utf-8") as f:
    records = [json.loads(line) for line in f if line.strip()]
n = len(records)
r = records[index] if -n <= index < n else None
if not eval("(" + expr + ")", {"r": r, "n": n, "records": records}):
    print(f"record {index} of {n}: {json.dumps(r, ensure_ascii=False)[:600]}")
    print(f"does not satisfy: {expr}")
    sys.exit(1)
EOF
}

# start NAME SCRIPT ARGS... : starts a receiver on a free port, records PID and
# port in NAME_PID / NAME_PORT, stdout to $TMP/NAME.out, stderr to $TMP/NAME.err.
start() {
  local name=$1 script=$2; shift 2
  "$PY" "$HERE/$script" --host 127.0.0.1 --port 0 --port-file "$TMP/$name.port" "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  local i
  for i in $(seq 1 100); do
    [ -s "$TMP/$name.port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.err" >&2; echo "$name died" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$TMP/$name.port" ] || { echo "$name did not start" >&2; exit 1; }
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_PORT" '%s' "$(cat "$TMP/$name.port")"
}

# stop NAME: SIGTERM by PID; the receiver must exit 0 within 5 s.
stop() {
  local name=$1 pidvar="${1}_PID"
  local pid=${!pidvar}
  kill -TERM "$pid"
  local i
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local rc=0
  wait "$pid" || rc=$?
  PIDS=("${PIDS[@]/$pid}")
  [ "$rc" = 0 ] || { echo "exit status $rc"; return 1; }
}

# Standard Webhooks signature with openssl (independent of the receiver's Python).
sign() { # sign SECRET ID TIMESTAMP BODY -> base64 signature
  local key_hex
  key_hex=$(printf '%s' "${1#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  printf '%s.%s.%s' "$2" "$3" "$4" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | base64
}

# post URL BODY [HEADER...] -> prints the HTTP status; response headers in $TMP/last.headers
post() {
  local url=$1 body=$2; shift 2
  local args=() h
  for h in "$@"; do args+=(-H "$h"); done
  curl -sS -o /dev/null -D "$TMP/last.headers" -w '%{http_code}' -X POST \
    -H 'content-type: application/json' "${args[@]}" --data-binary "$body" "$url"
}
header_of_last() { { grep -i "^$1:" "$TMP/last.headers" || true; } | head -1 | cut -d: -f2- | tr -d ' \r'; }

# answer URL [CURL-OPTION...] -> POSTs '{}', prints "STATUS BODY"; headers in $TMP/last.headers
answer() {
  local url=$1; shift
  curl -sS "$@" -D "$TMP/last.headers" -o "$TMP/last.body" -w '%{http_code}' -X POST -d '{}' "$url"
  printf ' %s' "$(cat "$TMP/last.body")"
}

# refused SCRIPT ARGS... : the receiver must refuse these options (argparse: exit 2).
refused() {
  local rc=0
  timeout 5 "$PY" "$HERE/$1" --port 0 "${@:2}" >/dev/null 2>&1 </dev/null || rc=$?
  [ "$rc" = 2 ] || { echo "exit status $rc, expected 2"; return 1; }
}

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw          # the Standard Webhooks spec's test secret
SMS_SECRET=whsec_$(printf 'sms-only-secret-0123456789' | base64)

echo "== http_receiver.py"
start A http_receiver.py --record "$TMP/a.jsonl" --print \
  --secret "$SECRET" --secret "/sms=$SMS_SECRET" --fail-path /gone=410
A="http://127.0.0.1:$A_PORT"
check "PORT line on stdout" eq "$(head -1 "$TMP/A.out")" "PORT $A_PORT"

# 1. Known-answer vector from the Standard Webhooks specification.
code=$(post "$A/hooks/spec" '{"test": 2432232314}' 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' \
  'webhook-timestamp: 1614265330' 'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
check "spec test vector answered 204" eq "$code" 204
check "spec test vector: signature_valid true, record fields" expect "$TMP/a.jsonl" -1 \
  'r["signature_valid"] is True and r["status"] == 204 and r["method"] == "POST" and r["path"] == "/hooks/spec"
   and r["body"] == "{\"test\": 2432232314}" and r["headers"]["webhook-id"] == "msg_p5jXN8AQM9LWM0D4loKWxJek"
   and isinstance(r["received_at"], float)'

# 2. A signed commsd-style webhook (UTF-8 body, signature computed with openssl;
#    several signatures in the header, one valid).
ID=msg_selftest_1; TS=$(date +%s)
BODY='{"subject":"Besøgsforbud på plejehjem","body":"Kære kollega,\nder er besøgsforbud fra i dag.","audience":"staff","priority":"urgent","recipient":{"id":"emp-17","name":"Mette Hansen"},"contact":"Krisestab, tlf. 7012 3456"}'
SIG=$(sign "$SECRET" "$ID" "$TS" "$BODY")
code=$(post "$A/intranet" "$BODY" "webhook-id: $ID" "webhook-timestamp: $TS" \
  "webhook-signature: v1,AAAAbm90IHRoaXMgb25lAAAAAAAAAAAAAAAAAAAAAAA= v1,$SIG")
check "signed webhook answered 204" eq "$code" 204
check "signed webhook: signature_valid true, UTF-8 body intact" expect "$TMP/a.jsonl" -1 \
  'r["signature_valid"] is True and "Besøgsforbud" in r["body"] and r["headers"]["webhook-timestamp"].isdigit()'
check "204 has no Content-Length, keep-alive" eq "$(header_of_last content-length)" ""

# 3. Unsigned and tampered webhooks are still answered normally, but recorded invalid.
code=$(post "$A/intranet" '{"subject":"unsigned"}')
check "unsigned webhook answered 204" eq "$code" 204
check "unsigned webhook: signature_valid false" expect "$TMP/a.jsonl" -1 'r["signature_valid"] is False'
code=$(post "$A/intranet" '{"subject":"tampered"}' "webhook-id: $ID" "webhook-timestamp: $TS" "webhook-signature: v1,$SIG")
check "tampered body: signature_valid false" expect "$TMP/a.jsonl" -1 'r["signature_valid"] is False'

# 4. Per-path-prefix secret: /sms uses its own secret, not the global one.
SIG_SMS=$(sign "$SMS_SECRET" msg_sms_1 "$TS" '{"x":1}')
SIG_GLOBAL=$(sign "$SECRET" msg_sms_1 "$TS" '{"x":1}')
post "$A/sms/send" '{"x":1}' 'webhook-id: msg_sms_1' "webhook-timestamp: $TS" "webhook-signature: v1,$SIG_SMS" >/dev/null
check "prefix secret verifies /sms" expect "$TMP/a.jsonl" -1 'r["signature_valid"] is True and r["path"] == "/sms/send"'
post "$A/sms/send" '{"x":1}' 'webhook-id: msg_sms_1' "webhook-timestamp: $TS" "webhook-signature: v1,$SIG_GLOBAL" >/dev/null
check "global secret does not verify /sms" expect "$TMP/a.jsonl" -1 'r["signature_valid"] is False'

# 5. --fail-path: always the given status.
check "--fail-path /gone=410 (1st)" eq "$(post "$A/gone/x" '{}')" 410
check "--fail-path /gone=410 (2nd)" eq "$(post "$A/gone/x" '{}')" 410
check "410 recorded with its status" expect "$TMP/a.jsonl" -1 'r["status"] == 410 and r["path"] == "/gone/x"'
check "non-204 answers carry Content-Length: 0" eq "$(header_of_last content-length)" 0

# 6. Body limit.
head -c $((1536 * 1024)) /dev/zero | tr '\0' 'x' >"$TMP/big.txt"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary "@$TMP/big.txt" "$A/intranet")
check "body over 1 MiB answered 413" eq "$code" 413
check "413 recorded" expect "$TMP/a.jsonl" -1 'r["status"] == 413 and r["body"] == ""'

# 7. Keep-alive without Nagle stalls: 50 requests on one connection.
check "50 keep-alive requests on one connection, < 10 ms each" "$PY" - "$A_PORT" <<'EOF'
import http.client, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
conn.connect()
sock = conn.sock
t0 = time.monotonic()
for i in range(50):
    conn.request("POST", "/keepalive", body=b'{"i":%d}' % i, headers={"webhook-id": "ka"})
    resp = conn.getresponse(); resp.read()
    assert resp.status == 204, resp.status
    assert conn.sock is sock, "connection was not kept alive"
elapsed = time.monotonic() - t0
assert elapsed < 0.5, f"{elapsed:.3f}s for 50 requests"
EOF

# 8. --print output for a person watching.
check "--print shows path, signature, summary, recipient" grep -q \
  '^\[webhook /intranet\] [0-9:]\{8\}  ✓ signature  staff · urgent · "Besøgsforbud på plejehjem"  → Mette Hansen$' "$TMP/A.out"
check "--print shows the body indented" grep -q '^    Kære kollega,$' "$TMP/A.out"
check "--print shows answered status of failures" grep -q '\[answered 410\]' "$TMP/A.out"
check "no stderr noise" eq "$(cat "$TMP/A.err")" ""
check "SIGTERM: exits 0" stop A

# 9. --fail-first: per webhook-id, 503 + Retry-After twice, then 204.
start B http_receiver.py --record "$TMP/b.jsonl" --fail-first 2 --retry-after 7
B="http://127.0.0.1:$B_PORT"
s1=$(post "$B/hook" '{"n":1}' 'webhook-id: msg_retry'); r1=$(header_of_last retry-after)
s2=$(post "$B/hook" '{"n":2}' 'webhook-id: msg_retry'); r2=$(header_of_last retry-after)
s3=$(post "$B/hook" '{"n":3}' 'webhook-id: msg_retry'); r3=$(header_of_last retry-after)
check "--fail-first 2: 503, 503, 204" eq "$s1 $s2 $s3" "503 503 204"
check "Retry-After: 7 on the 503s only" eq "$r1 $r2 [$r3]" "7 7 []"
check "other webhook-id starts its own count" eq "$(post "$B/hook" '{}' 'webhook-id: msg_other')" 503
check "fail-first records statuses; signature_valid null without --secret" expect "$TMP/b.jsonl" 0 \
  'n == 4 and [x["status"] for x in records] == [503, 503, 204, 503] and all(x["signature_valid"] is None for x in records)'
check "SIGTERM: exits 0" stop B

# 10. --delay-ms: the answer comes late, the record line is written on arrival.
start C http_receiver.py --record "$TMP/c.jsonl" --delay-ms 400 --status 200
t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -X POST -d '{}' "http://127.0.0.1:$C_PORT/slow")
check "--status 200 answered" eq "${t%% *}" 200
check "--delay-ms 400 delays the answer" "$PY" -c "import sys; sys.exit(0 if float('${t#* }') >= 0.4 else 1)"
check "without --control-paths /status/404 is an ordinary path" eq "$(answer "http://127.0.0.1:$C_PORT/status/404")" "200 "
check "SIGTERM: exits 0" stop C

# 11. For HTTP client tests: --answer-body, --answer-header, --control-paths, --body-limit.
start F http_receiver.py --record "$TMP/f.jsonl" --status 200 --answer-body ok --answer-header 'X-Receiver: test' \
  --control-paths --body-limit 3000000 --fail-path /gone=410
F="http://127.0.0.1:$F_PORT"
check "--answer-body: normal answer 200 ok" eq "$(answer "$F/hook")" "200 ok"
check "--answer-body: Content-Length 2" eq "$(header_of_last content-length)" 2
check "--answer-header sent" eq "$(header_of_last x-receiver)" test
check "/status/404: 404 'status 404'" eq "$(answer "$F/status/404")" "404 status 404"
check "/status/404: --answer-header, no Retry-After" eq "$(header_of_last x-receiver) [$(header_of_last retry-after)]" "test []"
check "/status/503?retry-after=120: 503 with Retry-After: 120" eq \
  "$(answer "$F/status/503?retry-after=120") $(header_of_last retry-after)" "503 status 503 120"
check "/status/204: no body, no Content-Length" eq "$(answer "$F/status/204") [$(header_of_last content-length)]" "204  []"
check "--fail-path beats control paths; failures carry no body" eq "$(answer "$F/gone/status/200")" "410 "
check "/big: 200 with 200,000 bytes" eq "$(answer "$F/big" | cut -c1-4)$(wc -c <"$TMP/last.body")" "200 200000"
check "control-path answers recorded with their status" expect "$TMP/f.jsonl" 0 \
  '[x["status"] for x in records] == [200, 404, 503, 204, 410, 200]
   and records[2]["path"] == "/status/503?retry-after=120"'
curl -sS -o "$TMP/delayed.out" -w '%{http_code} %{time_total}' -X POST -d '{}' "$F/delay/1200" >"$TMP/delayed.status" &
delayed=$!
for i in $(seq 1 80); do grep -q '/delay/1200' "$TMP/f.jsonl" && break; sleep 0.01; done
check "/delay/MS: recorded on arrival, while the answer is still pending" \
  bash -c "grep -q '/delay/1200' '$TMP/f.jsonl' && kill -0 $delayed"
wait "$delayed"
check "/delay/1200: then answered normally, late" "$PY" - "$(cat "$TMP/delayed.status")" "$(cat "$TMP/delayed.out")" <<'EOF2'
import sys
status, seconds = sys.argv[1].split()
assert status == "200" and float(seconds) >= 1.2 and sys.argv[2] == "ok", sys.argv[1:]
EOF2

"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(2_000_000)))' >"$TMP/binary.bin"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Expect:' --data-binary "@$TMP/binary.bin" "$F/upload")
check "--body-limit 3000000: 2,000,000-byte body accepted" eq "$code" 200
check "body_base64 holds the exact bytes (body is lossy for non-UTF-8)" "$PY" - "$TMP/f.jsonl" "$TMP/binary.bin" <<'EOF2'
import base64, json, sys
record = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")][-1]
expected = open(sys.argv[2], "rb").read()
assert record["path"] == "/upload" and base64.b64decode(record["body_base64"]) == expected
assert "\ufffd" in record["body"]
EOF2
head -c 3000001 /dev/zero >"$TMP/toolarge.bin"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Expect:' --data-binary "@$TMP/toolarge.bin" "$F/upload")
check "body over --body-limit answered 413" eq "$code" 413
check "client_port: the same for requests on one keep-alive connection" "$PY" - "$F_PORT" "$TMP/f.jsonl" <<'EOF2'
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(2):
    conn.request("POST", f"/same/{i}", body=b"{}")
    conn.getresponse().read()
local_port = conn.sock.getsockname()[1]
records = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")][-2:]
assert [r["path"] for r in records] == ["/same/0", "/same/1"], records
assert [r["client_port"] for r in records] == [local_port, local_port], (records, local_port)
EOF2
check "no stderr noise" eq "$(cat "$TMP/F.err")" ""
check "SIGTERM: exits 0" stop F
check "--answer-body with the default status 204 is refused" refused http_receiver.py --answer-body ok

# 12. --tls-cert-dir: HTTPS with a self-signed certificate for 127.0.0.1.
start G http_receiver.py --record "$TMP/g.jsonl" --tls-cert-dir "$TMP/g-tls" --status 200 --answer-body ok
G="https://127.0.0.1:$G_PORT"
check "--tls-cert-dir writes cert.pem and key.pem before the port" test -s "$TMP/g-tls/cert.pem" -a -s "$TMP/g-tls/key.pem"
check "certificate names IP 127.0.0.1" bash -c \
  "openssl x509 -in '$TMP/g-tls/cert.pem' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'"
check "HTTPS with the certificate as CA: 200 ok" eq "$(answer "$G/secure" --cacert "$TMP/g-tls/cert.pem")" "200 ok"
rc=0; curl -sS -o /dev/null -X POST -d '{}' "$G/untrusted" 2>/dev/null || rc=$?
check "HTTPS without it: curl refuses the certificate (60)" eq "$rc" 60
rc=0; curl -sS -o /dev/null -X POST -d '{}' "http://127.0.0.1:$G_PORT/plain" 2>/dev/null || rc=$?
check "plain HTTP to the HTTPS port fails" test "$rc" != 0
curl -sS -o /dev/null -o /dev/null --cacert "$TMP/g-tls/cert.pem" -X POST -d '{}' "$G/ka/1" "$G/ka/2"
check "only completed requests recorded; keep-alive over TLS" expect "$TMP/g.jsonl" 0 \
  '[x["path"] for x in records] == ["/secure", "/ka/1", "/ka/2"] and records[1]["client_port"] == records[2]["client_port"]'
check "no stderr noise (also for refused handshakes)" eq "$(cat "$TMP/G.err")" ""
check "SIGTERM: exits 0" stop G

echo "== smtp_receiver.py"
start D smtp_receiver.py --record "$TMP/d.jsonl" --print --reject nobody@example.dk
check "PORT line on stdout" eq "$(head -1 "$TMP/D.out")" "PORT $D_PORT"

# 13. RFC 2047 subject and display names, quoted-printable UTF-8 body.
check "QP / RFC 2047 message accepted" "$PY" - "$D_PORT" <<'EOF'
import smtplib, sys
msg = (
    b"From: =?UTF-8?Q?Kommunens_Krisestab_=C3=86r=C3=B8?= <krise@kommune.dk>\r\n"
    b"To: Mette Hansen <mette@example.dk>\r\n"
    b"Reply-To: svar@kommune.dk\r\n"
    b"Subject: =?UTF-8?Q?Bes=C3=B8gsforbud_p=C3=A5_plejehjem?=\r\n"
    b"Message-ID: <selftest-1@kommune.dk>\r\n"
    b"Date: Tue, 25 Nov 2025 12:00:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"K=C3=A6re Mette,\r\n"
    b"der er bes=C3=B8gsforbud p=C3=A5 plejehjemmet fra i dag kl. 12. Denne linje =\r\n"
    b"er bl=C3=B8dt ombrudt.\r\n"
    b".punktum forrest\r\n"
)
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    refused = s.sendmail("krise@kommune.dk", ["mette@example.dk"], msg)
    assert refused == {}, refused
EOF
check "subject decoded from RFC 2047" expect "$TMP/d.jsonl" -1 'r["subject"] == "Besøgsforbud på plejehjem"'
check "headers decoded (from, to, reply_to, message_id)" expect "$TMP/d.jsonl" -1 \
  'r["from"] == "Kommunens Krisestab Ærø <krise@kommune.dk>" and r["to"] == "Mette Hansen <mette@example.dk>"
   and r["reply_to"] == "svar@kommune.dk" and r["message_id"] == "<selftest-1@kommune.dk>"'
check "QP body decoded (soft breaks joined, dot-unstuffed, LF)" expect "$TMP/d.jsonl" -1 \
  'r["body"] == "Kære Mette,\nder er besøgsforbud på plejehjemmet fra i dag kl. 12. Denne linje er blødt ombrudt.\n.punktum forrest\n"'
check "envelope and raw recorded" expect "$TMP/d.jsonl" -1 \
  'r["mail_from"] == "krise@kommune.dk" and r["rcpt_tos"] == ["mette@example.dk"] and "=?UTF-8?Q?Bes=C3=B8gsforbud" in r["raw"]
   and r["auth_user"] is None and r["html"] is None and r["headers"]["content-transfer-encoding"] == "quoted-printable"'

# 14. --reject: 550 5.1.1 at RCPT TO; the other recipient still gets the message.
check "rejected RCPT answered 550 5.1.1, other recipient accepted" "$PY" - "$D_PORT" <<'EOF'
import smtplib, sys
msg = b"Subject: two recipients\r\nMessage-ID: <selftest-2@kommune.dk>\r\n\r\nhej\r\n"
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    refused = s.sendmail("krise@kommune.dk", ["nobody@example.dk", "jens@example.dk"], msg)
    assert refused == {"nobody@example.dk": (550, b"5.1.1 No such user")}, refused
    try:
        s.sendmail("krise@kommune.dk", ["Nobody@Example.dk"], msg)
    except smtplib.SMTPRecipientsRefused as e:
        assert e.recipients["Nobody@Example.dk"][0] == 550, e.recipients
    else:
        raise AssertionError("all-rejected message was accepted")
EOF
check "only accepted recipients recorded; all-rejected message not recorded" expect "$TMP/d.jsonl" -1 \
  'r["rcpt_tos"] == ["jens@example.dk"] and n == 2'

# 15. 8-bit clean: SMTPUTF8 address, raw UTF-8 headers and body (8BITMIME).
check "SMTPUTF8 + 8BITMIME message accepted" "$PY" - "$D_PORT" <<'EOF'
import smtplib, sys
msg = ("From: krise@kommune.dk\r\nTo: Søren <søren@eksempel.dk>\r\nSubject: Vandforsyning i Århus\r\n"
       "Message-ID: <selftest-3@kommune.dk>\r\nMIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       "Kog vandet før brug. Spørgsmål: ring 7012 3456.\r\n").encode("utf-8")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.ehlo()
    assert s.has_extn("smtputf8") and s.has_extn("8bitmime")
    refused = s.sendmail("krise@kommune.dk", ["søren@eksempel.dk"], msg, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert refused == {}, refused
EOF
check "8-bit message decoded, mail options recorded" expect "$TMP/d.jsonl" -1 \
  'r["rcpt_tos"] == ["søren@eksempel.dk"] and r["subject"] == "Vandforsyning i Århus" and "før brug" in r["raw"]
   and r["body"] == "Kog vandet før brug. Spørgsmål: ring 7012 3456.\n" and "SMTPUTF8" in r["mail_options"]'
check "--print shows To, Subject and the body" grep -q \
  '^\[email\] [0-9:]\{8\}  To: Mette Hansen <mette@example.dk>  Subject: Besøgsforbud på plejehjem$' "$TMP/D.out"
check "--print body indented" grep -q '^    Kære Mette,$' "$TMP/D.out"
check "without TLS options: STARTTLS not offered" "$PY" - "$D_PORT" <<'EOF2'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.ehlo()
    assert not s.has_extn("starttls"), s.esmtp_features
EOF2
check "records say tls false" expect "$TMP/d.jsonl" 0 'n == 3 and all(x["tls"] is False for x in records)'
check "no stderr noise" eq "$(cat "$TMP/D.err")" ""
check "SIGTERM: exits 0" stop D

# 16. --auth and --tempfail-first.
start E smtp_receiver.py --record "$TMP/e.jsonl" --auth commsd:hemmelig --tempfail-first 1
check "AUTH required: MAIL without login answered 530" "$PY" - "$E_PORT" <<'EOF'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.ehlo()
    assert "PLAIN" in s.esmtp_features.get("auth", "") and "LOGIN" in s.esmtp_features["auth"], s.esmtp_features
    code, _ = s.mail("krise@kommune.dk")
    assert code == 530, code
EOF
check "wrong password answered 535" "$PY" - "$E_PORT" <<'EOF'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    try:
        s.login("commsd", "forkert")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
    else:
        raise AssertionError("login with wrong password succeeded")
EOF
check "login (PLAIN): first DATA 451 4.3.0, retry of same Message-ID accepted" "$PY" - "$E_PORT" <<'EOF'
import smtplib, sys
msg = b"Subject: med login\r\nMessage-ID: <selftest-4@kommune.dk>\r\n\r\nhej\r\n"
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.ehlo()
    s.user, s.password = "commsd", "hemmelig"
    s.auth("PLAIN", s.auth_plain)
    try:
        s.sendmail("krise@kommune.dk", ["mette@example.dk"], msg)
    except smtplib.SMTPDataError as e:
        assert e.smtp_code == 451 and e.smtp_error == b"4.3.0 Try again later", e
    else:
        raise AssertionError("first attempt was not deferred")
    assert s.sendmail("krise@kommune.dk", ["mette@example.dk"], msg) == {}
EOF
check "login (LOGIN) works too" "$PY" - "$E_PORT" <<'EOF'
import smtplib, sys
msg = b"Subject: LOGIN\r\nMessage-ID: <selftest-5@kommune.dk>\r\n\r\nhej\r\n"
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.ehlo()
    s.user, s.password = "commsd", "hemmelig"
    s.auth("LOGIN", s.auth_login)
    for expected in (451, 250):
        try:
            s.sendmail("krise@kommune.dk", ["mette@example.dk"], msg)
            code = 250
        except smtplib.SMTPDataError as e:
            code = e.smtp_code
        assert code == expected, (code, expected)
EOF
check "deferred attempts not recorded; auth_user recorded" expect "$TMP/e.jsonl" 0 \
  'n == 2 and [x["message_id"] for x in records] == ["<selftest-4@kommune.dk>", "<selftest-5@kommune.dk>"]
   and all(x["auth_user"] == "commsd" for x in records)'
check "no stderr noise" eq "$(cat "$TMP/E.err")" ""
check "SIGTERM: exits 0" stop E

# smtp_tls PORT MODE CAFILE [USER:PASS]: sends one message; MODE is plain,
# starttls or implicit; CAFILE "" means the system CAs (which refuse ours).
cat >"$TMP/smtp_tls.py" <<'EOF2'
import smtplib, ssl, sys
port, mode, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context(cafile=cafile or None)
msg = f"Subject: {mode}\r\nMessage-ID: <{mode}@kommune.dk>\r\n\r\nhej\r\n".encode()
if mode == "implicit":
    s = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=context)
else:
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    s.ehlo()
    if mode == "starttls":
        assert s.has_extn("starttls"), s.esmtp_features
        s.starttls(context=context)
        s.ehlo()
with s:
    if len(sys.argv) > 4:
        s.login(*sys.argv[4].split(":", 1))
    assert s.sendmail("krise@kommune.dk", ["mette@example.dk"], msg) == {}
EOF2
smtp_tls() { "$PY" "$TMP/smtp_tls.py" "$@"; }
untrusted() { # smtp_tls must fail because the client does not trust the certificate
  local out rc=0
  out=$(smtp_tls "$@" 2>&1) || rc=$?
  [ "$rc" != 0 ] && grep -q CERTIFICATE_VERIFY_FAILED <<<"$out" || { echo "exit status $rc: $out"; return 1; }
}

# 17. --starttls DIR: STARTTLS offered and required.
start H smtp_receiver.py --record "$TMP/h.jsonl" --starttls "$TMP/h-tls"
check "--starttls writes cert.pem and key.pem before the port" test -s "$TMP/h-tls/cert.pem" -a -s "$TMP/h-tls/key.pem"
check "MAIL before STARTTLS answered 530" "$PY" - "$H_PORT" <<'EOF2'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.ehlo()
    assert s.has_extn("starttls"), s.esmtp_features
    code, _ = s.mail("krise@kommune.dk")
    assert code == 530, code
EOF2
check "without STARTTLS the message is refused" fails smtp_tls "$H_PORT" plain ""
check "STARTTLS with the certificate as CA: accepted" smtp_tls "$H_PORT" starttls "$TMP/h-tls/cert.pem"
check "STARTTLS without it: the client refuses the certificate" untrusted "$H_PORT" starttls ""
check "one message recorded, tls true" expect "$TMP/h.jsonl" 0 'n == 1 and r["tls"] is True and r["subject"] == "starttls"'
check "no stderr noise (also for refused handshakes)" eq "$(cat "$TMP/H.err")" ""
check "SIGTERM: exits 0" stop H

# 18. --starttls DIR --starttls-optional: offered, not required.
start I smtp_receiver.py --record "$TMP/i.jsonl" --starttls "$TMP/i-tls" --starttls-optional
check "plain message accepted" smtp_tls "$I_PORT" plain ""
check "STARTTLS message accepted" smtp_tls "$I_PORT" starttls "$TMP/i-tls/cert.pem"
check "records say tls false, then true" expect "$TMP/i.jsonl" 0 '[x["tls"] for x in records] == [False, True]'
check "no stderr noise" eq "$(cat "$TMP/I.err")" ""
check "SIGTERM: exits 0" stop I
check "--starttls-optional without --starttls is refused" refused smtp_receiver.py --starttls-optional

# 19. --implicit-tls DIR: TLS from the first byte (smtps), here with --auth.
start J smtp_receiver.py --record "$TMP/j.jsonl" --implicit-tls "$TMP/j-tls" --auth relay:s3cret
check "implicit TLS with the certificate as CA, login: accepted" \
  smtp_tls "$J_PORT" implicit "$TMP/j-tls/cert.pem" relay:s3cret
check "implicit TLS without it: the client refuses the certificate" untrusted "$J_PORT" implicit ""
check "one message recorded, tls true, auth_user" expect "$TMP/j.jsonl" 0 \
  'n == 1 and r["tls"] is True and r["auth_user"] == "relay" and r["subject"] == "implicit"'
check "no stderr noise" eq "$(cat "$TMP/J.err")" ""
check "SIGTERM: exits 0" stop J
check "--starttls and --implicit-tls together are refused" refused smtp_receiver.py --starttls "$TMP/x" --implicit-tls "$TMP/y"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
