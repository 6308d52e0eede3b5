#!/usr/bin/env python3
"""Webhook receiver for commsd end-to-end tests and `make run` demos.

A real HTTP/1.1 server on loopback (stdlib only). It records every request
as a JSON line, verifies Standard Webhooks signatures independently of the
Swift implementation (Python hmac + hashlib), and can be told to fail in the
ways real receivers fail (5xx with Retry-After, permanent 4xx, slowness).
For tests of the HTTP client itself it can also serve HTTPS with a self-signed
certificate, answer with a body and extra headers, and let the request path
choose the answer (/status/N, /delay/MS, /big).

See README.md in this directory for the options and the record format.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import urllib.parse
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BODY_LIMIT = 1024 * 1024  # 1 MiB by default (--body-limit); larger bodies are answered 413
DRAIN_LIMIT = 64 * 1024 * 1024  # read (and discard) at most this much of a too-large body
SIGNATURE_PREFIX = "whsec_"
BIG_BODY = b"x" * 200_000  # the answer to /big with --control-paths


# --------------------------------------------------------------------------
# Options


class SecretSpec:
    """A signing secret, optionally restricted to a path prefix."""

    def __init__(self, prefix: str | None, secret: str):
        self.prefix = prefix
        self.secret = secret
        self.key = decode_secret(secret)


def decode_secret(secret: str) -> bytes:
    raw = secret[len(SIGNATURE_PREFIX):] if secret.startswith(SIGNATURE_PREFIX) else secret
    padded = raw + "=" * (-len(raw) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"secret is not valid base64 after '{SIGNATURE_PREFIX}': {exc}")


def parse_secret(value: str) -> SecretSpec:
    # "/path/prefix=whsec_..." applies to one prefix; anything else is a secret
    # for all paths. (Base64 secrets may contain '=', so only a value starting
    # with '/' -- or '=', an empty prefix -- is split.)
    if value.startswith(("/", "=")):
        prefix, sep, secret = value.partition("=")
        if not sep or not secret:
            raise argparse.ArgumentTypeError(f"expected PATH_PREFIX=SECRET, got {value!r}")
        return SecretSpec(prefix or None, secret)
    return SecretSpec(None, value)


def parse_fail_path(value: str) -> tuple[str, int]:
    prefix, sep, status = value.rpartition("=")
    if not sep or not prefix.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected /PATH_PREFIX=STATUS, got {value!r}")
    try:
        code = int(status)
    except ValueError:
        raise argparse.ArgumentTypeError(f"status must be a number, got {status!r}")
    if not 100 <= code <= 599:
        raise argparse.ArgumentTypeError(f"status out of range: {code}")
    return prefix, code


def parse_status(value: str) -> int:
    code = int(value)
    if not 200 <= code <= 599:
        raise argparse.ArgumentTypeError(f"status out of range: {code}")
    return code


def parse_header(value: str) -> tuple[str, str]:
    name, sep, header_value = value.partition(":")
    name, header_value = name.strip(), header_value.strip()
    if not sep or not name or any(c in value for c in "\r\n") or any(c.isspace() for c in name):
        raise argparse.ArgumentTypeError(f"expected 'NAME: VALUE', got {value!r}")
    return name, header_value


def has_body(status: int) -> bool:
    return status not in (204, 304) and not 100 <= status < 200


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Webhook receiver for commsd tests and demos.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free port (default)")
    p.add_argument("--port-file", help="write the bound port number to this file (atomically)")
    p.add_argument("--record", help="append one JSON line per request to this file")
    p.add_argument("--secret", action="append", default=[], type=parse_secret, metavar="[PATH_PREFIX=]SECRET",
                   help="verify Standard Webhooks signatures with this whsec_ secret (repeatable)")
    p.add_argument("--status", type=parse_status, default=204, help="status for normal answers (default 204)")
    p.add_argument("--fail-first", type=int, default=0, metavar="N",
                   help="answer the first N requests per webhook-id with --fail-status")
    p.add_argument("--fail-first-overall", action="store_true",
                   help="count --fail-first over all requests instead of per webhook-id")
    p.add_argument("--fail-status", type=parse_status, default=503, help="status for --fail-first (default 503)")
    p.add_argument("--retry-after", metavar="SECONDS", help="send Retry-After with --fail-first answers")
    p.add_argument("--fail-path", action="append", default=[], type=parse_fail_path, metavar="PREFIX=STATUS",
                   help="always answer STATUS for paths starting with PREFIX (repeatable)")
    p.add_argument("--delay-ms", type=int, default=0, help="sleep this long before answering each request")
    p.add_argument("--print", dest="print_", action="store_true", help="print each request for a human")
    p.add_argument("--tls-cert-dir", metavar="DIR",
                   help="serve HTTPS with a self-signed certificate for 127.0.0.1 written to DIR/cert.pem")
    p.add_argument("--body-limit", type=int, default=BODY_LIMIT, metavar="BYTES",
                   help="answer 413 to bodies larger than this (default 1 MiB)")
    p.add_argument("--answer-body", metavar="TEXT", help="body of normal (--status) answers (default none)")
    p.add_argument("--answer-header", action="append", default=[], type=parse_header, metavar="'NAME: VALUE'",
                   help="send this header with every answer (repeatable)")
    p.add_argument("--control-paths", action="store_true",
                   help="let paths /status/N, /delay/MS and /big choose the answer")
    args = p.parse_args(argv)
    if args.fail_first < 0 or args.delay_ms < 0:
        p.error("--fail-first and --delay-ms must not be negative")
    if args.body_limit < 0:
        p.error("--body-limit must not be negative")
    if args.answer_body is not None and not has_body(args.status):
        p.error(f"--answer-body needs a --status whose answers have a body (not {args.status})")
    return args


# --------------------------------------------------------------------------
# Shared state


class Answer:
    """What a request is answered: status, body, extra headers, extra delay."""

    def __init__(self, status: int, body: bytes = b"", *, fail_first: bool = False,
                 retry_after: str | None = None, delay_ms: int = 0):
        self.status = status
        self.body = body if has_body(status) else b""
        self.fail_first = fail_first
        self.retry_after = retry_after
        self.delay_ms = delay_ms


def control_path(path: str) -> tuple[int | None, bytes, str | None, int]:
    """With --control-paths: (status or None, body, Retry-After or None, delay in ms) chosen by the path."""
    url = urlsplit(path)
    segments = url.path.split("/")[1:]  # "/status/503/x" -> ["status", "503", "x"]
    query = parse_qs(url.query)
    name = segments[0] if segments else ""
    argument = segments[1] if len(segments) > 1 else ""
    number = int(argument) if argument.isascii() and argument.isdigit() else None
    if name == "status" and number is not None and 200 <= number <= 599:
        retry_after = query.get("retry-after", [None])[-1]
        return number, f"status {number}".encode(), retry_after, 0
    if name == "delay" and number is not None:
        return None, b"", None, number
    if name == "big":
        return 200, BIG_BODY, None, 0
    return None, b"", None, 0


class Receiver:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.record_lock = threading.Lock()
        self.print_lock = threading.Lock()
        self.counter_lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.record_file = open(args.record, "a", encoding="utf-8") if args.record else None
        # Longest prefix wins; a plain secret (prefix None) is the fallback.
        self.secrets = sorted(args.secret, key=lambda s: -1 if s.prefix is None else len(s.prefix), reverse=True)
        self.fail_paths = sorted(args.fail_path, key=lambda fp: len(fp[0]), reverse=True)

    # -- decisions

    def secret_for(self, path: str) -> SecretSpec | None:
        for spec in self.secrets:
            if spec.prefix is None or path.startswith(spec.prefix):
                return spec
        return None

    def answer_for(self, path: str, webhook_id: str | None) -> Answer:
        """Precedence: --fail-path, then a control path's status, then --fail-first, then --status."""
        status, body, retry_after, delay_ms = control_path(path) if self.args.control_paths else (None, b"", None, 0)
        for prefix, fail_status in self.fail_paths:
            if path.startswith(prefix):
                return Answer(fail_status, delay_ms=delay_ms)
        if status is not None:
            return Answer(status, body, retry_after=retry_after, delay_ms=delay_ms)
        if self.args.fail_first > 0:
            key = webhook_id if webhook_id is not None and not self.args.fail_first_overall else ""
            with self.counter_lock:
                n = self.attempts.get(key, 0) + 1
                self.attempts[key] = n
            if n <= self.args.fail_first:
                return Answer(self.args.fail_status, fail_first=True, retry_after=self.args.retry_after,
                              delay_ms=delay_ms)
        body = self.args.answer_body.encode("utf-8") if self.args.answer_body is not None else b""
        return Answer(self.args.status, body, delay_ms=delay_ms)

    # -- output

    def record(self, entry: dict) -> None:
        if self.record_file is None:
            return
        line = json.dumps(entry, ensure_ascii=False)
        with self.record_lock:
            self.record_file.write(line + "\n")
            self.record_file.flush()

    def show(self, entry: dict) -> None:
        if not self.args.print_:
            return
        text = format_for_humans(entry)
        with self.print_lock:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                pass

    def close(self) -> None:
        if self.record_file is not None:
            with self.record_lock:
                self.record_file.close()
                self.record_file = None


def verify_signature(spec: SecretSpec, headers: dict[str, str], body: bytes) -> bool:
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return False
    signed = f"{msg_id}.{timestamp}.".encode("utf-8") + body
    expected = base64.b64encode(hmac.new(spec.key, signed, hashlib.sha256).digest())
    for entry in signatures.split():
        version, sep, value = entry.partition(",")
        if sep and version == "v1" and hmac.compare_digest(value.encode("utf-8", "replace"), expected):
            return True
    return False


def provider_request(entry: dict, doc, body_text: str):
    """A provider's request (GatewayAPI, Twilio, Teams Workflows, Slack) as a
    title and lines a person reads, or None when the body is none of them."""
    headers = entry.get("headers", {})
    auth = headers.get("authorization", "")
    scheme = auth.split(" ", 1)[0] if auth else "no authentication"
    if isinstance(doc, dict) and "recipients" in doc and "message" in doc:
        numbers = ", ".join(str(r.get("msisdn")) for r in doc.get("recipients", []) if isinstance(r, dict))
        encoding = doc.get("encoding", "GSM-7")
        title = (f"GatewayAPI SMS to {numbers} from {doc.get('sender')!r} ({encoding}, "
                 f"max_parts {doc.get('max_parts')}, {scheme})")
        return title, str(doc["message"]).splitlines() + [f"(userref: {doc.get('userref')})"]
    if isinstance(doc, dict) and doc.get("type") == "message" and isinstance(doc.get("attachments"), list):
        lines = []
        for attachment in doc["attachments"]:
            content = attachment.get("content", {}) if isinstance(attachment, dict) else {}
            for block in content.get("body", []) if isinstance(content, dict) else []:
                if isinstance(block, dict) and "text" in block:
                    text = str(block["text"])
                    lines.extend(text.upper().splitlines() if block.get("weight") == "Bolder" else text.splitlines())
        return f"Teams Adaptive Card ({scheme})", lines
    if isinstance(doc, dict) and isinstance(doc.get("blocks"), list):
        lines = []
        for block in doc["blocks"]:
            if not isinstance(block, dict):
                continue
            texts = [block.get("text")] + list(block.get("elements") or [])
            for text in texts:
                if isinstance(text, dict) and "text" in text:
                    value = str(text["text"]).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                    lines.extend(value.upper().splitlines() if block.get("type") == "header" else value.splitlines())
        return f"Slack message ({scheme})", lines
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(body_text, keep_blank_values=True)
        if "To" in form and "Body" in form:
            sender = (form.get("From") or form.get("MessagingServiceSid") or ["?"])[0]
            return (f"Twilio-style SMS to {form['To'][0]} from {sender!r} ({scheme})",
                    form["Body"][0].splitlines())
    return None


def format_for_humans(entry: dict) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(entry["received_at"]))
    head = [f"[webhook {entry['path']}] {stamp} "]
    sig = entry["signature_valid"]
    if sig is True:
        head.append(" ✓ signature ")
    elif sig is False:
        head.append(" ✗ SIGNATURE INVALID ")
    lines: list[str] = []
    body_text = entry["body"]
    try:
        doc = json.loads(body_text) if body_text else None
    except ValueError:
        doc = None
    provider = provider_request(entry, doc, body_text)
    if provider is not None:
        title, provider_lines = provider
        head.append(" " + title)
        lines.extend(provider_lines)
    elif isinstance(doc, dict) and any(k in doc for k in ("subject", "body", "audience", "priority", "recipient")):
        summary = [str(doc[k]) for k in ("audience", "priority") if doc.get(k) not in (None, "")]
        if doc.get("subject") not in (None, ""):
            summary.append(f'"{doc["subject"]}"')
        if summary:
            head.append(" " + " · ".join(summary))
        recipient = doc.get("recipient")
        if isinstance(recipient, dict):
            who = recipient.get("name") or recipient.get("id")
            if who:
                head.append(f"  → {who}")
        elif recipient:
            head.append(f"  → {recipient}")
        if doc.get("body") not in (None, ""):
            lines.extend(str(doc["body"]).splitlines())
        contact = doc.get("contact")
        if contact not in (None, ""):
            if not isinstance(contact, str):
                contact = json.dumps(contact, ensure_ascii=False)
            lines.append(f"(contact: {contact})")
    elif isinstance(doc, (dict, list)):
        lines.extend(json.dumps(doc, ensure_ascii=False, indent=2).splitlines())
    elif body_text:
        lines.extend(body_text.splitlines())
    status = entry["status"]
    if not 200 <= status < 300:
        head.append(f"  [answered {status}]")
    out = "".join(head).rstrip() + "\n"
    out += "".join(f"    {line}\n" for line in lines)
    return out


# --------------------------------------------------------------------------
# HTTP


class BodyTooLarge(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each keep-alive request costs ~40 ms (Nagle + delayed ACK)
    timeout = 120  # idle keep-alive connections are closed after this
    server_version = "commsd-test-http-receiver"
    sys_version = ""

    receiver: Receiver  # set on the class in main()

    # Quiet: no access log on stderr.
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def setup(self) -> None:
        context = self.server.tls_context
        if context is not None:
            # TLS handshake here, in the connection's thread, not in the accept loop.
            self.request.settimeout(self.timeout)
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def handle_expect_100(self) -> bool:
        length = self._content_length()
        if length is not None and length > self.receiver.args.body_limit:
            # Refuse before the client sends the body.
            self._finish(b"", Answer(413), close=True)
            return False
        return super().handle_expect_100()

    def _content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            n = int(value)
        except ValueError:
            return None
        return n if n >= 0 else None

    def _read_body(self) -> bytes:
        """Reads the request body; raises BodyTooLarge after consuming (a bounded part of) it."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self._content_length()
        if length is None:
            if self.headers.get("Content-Length") is not None:
                self.close_connection = True
            return b""
        if length > self.receiver.args.body_limit:
            if length > max(DRAIN_LIMIT, self.receiver.args.body_limit):
                self.close_connection = True
            else:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            raise BodyTooLarge()
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        too_large = False
        while True:
            size_line = self.rfile.readline(65537)
            if not size_line:
                self.close_connection = True
                break
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                break
            if size == 0:
                while True:  # trailers
                    line = self.rfile.readline(65537)
                    if line in (b"\r\n", b"\n", b""):
                        break
                break
            total += size
            if total > max(DRAIN_LIMIT, self.receiver.args.body_limit):
                self.close_connection = True
                raise BodyTooLarge()
            data = self.rfile.read(size)
            self.rfile.readline(3)  # CRLF after chunk
            if total > self.receiver.args.body_limit:
                too_large = True
            else:
                parts.append(data)
        if too_large:
            raise BodyTooLarge()
        return b"".join(parts)

    def _headers_dict(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for name, value in self.headers.items():
            try:  # http.server decodes header bytes as latin-1; prefer UTF-8 when it is UTF-8
                value = value.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
            key = name.lower()
            result[key] = f"{result[key]}, {value}" if key in result else value
        return result

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except BodyTooLarge:
            self._finish(b"", Answer(413), close=self.close_connection)
            return
        headers = self._headers_dict()
        answer = self.receiver.answer_for(self.path, headers.get("webhook-id"))
        self._finish(body, answer, close=self.close_connection, headers=headers)

    def _finish(self, body: bytes, answer: Answer, *, close: bool, headers: dict[str, str] | None = None) -> None:
        receiver = self.receiver
        status = answer.status
        if headers is None:
            headers = self._headers_dict()
        spec = receiver.secret_for(self.path)
        signature_valid = None if spec is None else (status != 413 and verify_signature(spec, headers, body))
        entry = {
            "path": self.path,
            "method": self.command,
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "received_at": time.time(),
            "status": status,
            "signature_valid": signature_valid,
            "body_base64": base64.b64encode(body).decode("ascii"),
            "client_port": self.client_address[1],
        }
        # Recorded when the request has been read, before any delay and before
        # the answer is sent: a line in the file means "this arrived".
        receiver.record(entry)
        receiver.show(entry)
        delay_ms = receiver.args.delay_ms + answer.delay_ms
        if delay_ms:
            time.sleep(delay_ms / 1000.0)
        self.send_response(status)
        for name, value in receiver.args.answer_header:
            self.send_header(name, value)
        if answer.retry_after is not None:
            self.send_header("Retry-After", answer.retry_after)
        if has_body(status):
            # (RFC 9110 forbids Content-Length on 204)
            self.send_header("Content-Length", str(len(answer.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if answer.body and self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many clients connecting at once must not overflow the backlog
    tls_context: ssl.SSLContext | None = None

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        # Clients that give up (time out, close, refuse our certificate) are no error.
        if isinstance(exc, (ConnectionError, socket.timeout, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def self_signed_tls_context(directory: str) -> ssl.SSLContext:
    """Writes a fresh self-signed certificate for 127.0.0.1 (and localhost) to
    DIRECTORY/cert.pem with its key in DIRECTORY/key.pem; returns a server context."""
    os.makedirs(directory, exist_ok=True)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "7", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(f"openssl could not create a certificate in {directory}:\n{result.stderr}")
        sys.exit(1)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    # A test may start this from a thread whose signal mask blocks SIGTERM, and
    # the mask is inherited: start from an empty one.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    args = parse_args(argv)
    try:
        sys.stdout.reconfigure(errors="backslashreplace")
    except AttributeError:
        pass
    receiver = Receiver(args)
    Handler.receiver = receiver

    # Block the stop signals in every thread; the main thread collects them with sigwait.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    if ":" in args.host:
        Server.address_family = socket.AF_INET6
    if args.tls_cert_dir:
        Server.tls_context = self_signed_tls_context(args.tls_cert_dir)
    server = Server((args.host, args.port), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="http-receiver", daemon=True)
    thread.start()

    if args.port_file:
        write_port_file(args.port_file, port)
    try:
        print(f"PORT {port}", flush=True)
    except BrokenPipeError:
        pass

    signal.sigwait(stop_signals)
    server.shutdown()
    server.server_close()
    receiver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
