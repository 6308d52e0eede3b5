#!/usr/bin/env python3
"""SMTP receiver for commsd end-to-end tests and `make run` demos.

A real SMTP server (aiosmtpd) on loopback. It records every accepted message
as a JSON line, decoding it with Python's `email` package
(email.policy.default) -- an independent check of the Swift composer -- and
can refuse recipients, defer messages (451), require AUTH, and be slow. For
tests of the SMTP client itself it can also speak TLS -- STARTTLS (required or
optional) or implicit TLS (smtps) -- with a self-signed certificate.

See README.md in this directory for the options and the record format.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword, TLSSetupException
except ImportError:  # pragma: no cover
    sys.stderr.write("smtp_receiver.py needs aiosmtpd: run scripts/install-deps.sh\n")
    sys.exit(2)


def parse_auth(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"expected USER:PASS, got {value!r}")
    return user, password


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="SMTP receiver for commsd tests and demos.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free port (default)")
    p.add_argument("--port-file", help="write the bound port number to this file (atomically)")
    p.add_argument("--record", help="append one JSON line per accepted message to this file")
    p.add_argument("--reject", action="append", default=[], metavar="ADDRESS",
                   help="answer 550 5.1.1 at RCPT TO for this address (repeatable)")
    p.add_argument("--tempfail-first", type=int, default=0, metavar="N",
                   help="answer 451 4.3.0 at DATA for the first N attempts per Message-ID")
    p.add_argument("--auth", type=parse_auth, metavar="USER:PASS",
                   help="require AUTH PLAIN/LOGIN with these credentials")
    p.add_argument("--delay-ms", type=int, default=0, help="sleep this long before answering DATA")
    p.add_argument("--print", dest="print_", action="store_true", help="print each message for a human")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--starttls", metavar="DIR",
                     help="offer and require STARTTLS, with a self-signed certificate written to DIR/cert.pem")
    tls.add_argument("--implicit-tls", metavar="DIR",
                     help="TLS from the first byte (smtps), with a self-signed certificate written to DIR/cert.pem")
    p.add_argument("--starttls-optional", action="store_true",
                   help="with --starttls: offer STARTTLS but accept mail without it too")
    args = p.parse_args(argv)
    if args.tempfail_first < 0 or args.delay_ms < 0:
        p.error("--tempfail-first and --delay-ms must not be negative")
    if args.starttls_optional and not args.starttls:
        p.error("--starttls-optional needs --starttls")
    return args


# --------------------------------------------------------------------------
# Decoding (the independent check of the Swift composer)


def raw_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def header_text(msg: email.message.EmailMessage, name: str) -> str | None:
    try:
        value = msg[name]
        return None if value is None else str(value)
    except Exception:  # malformed header: fall back to the raw value
        for raw_name, raw_value in msg.raw_items():
            if raw_name.lower() == name.lower():
                return str(raw_value)
        return None


def headers_dict(msg: email.message.EmailMessage) -> dict[str, str]:
    result: dict[str, str] = {}
    for name in msg.keys():
        key = name.lower()
        if key in result:
            continue
        values = []
        try:
            values = [str(v) for v in msg.get_all(name, [])]
        except Exception:
            pass
        result[key] = ", ".join(values)
    return result


def part_text(msg: email.message.EmailMessage, subtype: str) -> str | None:
    try:
        part = msg.get_body(preferencelist=(subtype,))
    except Exception:
        part = None
    if part is None:
        return None
    try:
        text = part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return text.replace("\r\n", "\n")  # SMTP line endings -> the text as composed


def decode_message(data: bytes) -> dict:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return {
        "subject": header_text(msg, "Subject"),
        "from": header_text(msg, "From"),
        "to": header_text(msg, "To"),
        "reply_to": header_text(msg, "Reply-To"),
        "message_id": header_text(msg, "Message-ID"),
        "body": part_text(msg, "plain"),
        "html": part_text(msg, "html"),
        "headers": headers_dict(msg),
    }


# --------------------------------------------------------------------------
# Handler


class Handler:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rejects = {a.strip().strip("<>").lower() for a in args.reject}
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.record_file = open(args.record, "a", encoding="utf-8") if args.record else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rejects:
            self.show(f"[email] {now()}  550 rejected RCPT TO:<{address}>\n")
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.delay_ms:
            await asyncio.sleep(self.args.delay_ms / 1000.0)
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):  # only with decode_data=True, which we do not use
            data = data.encode("utf-8", errors="surrogateescape")
        received_at = time.time()
        decoded = decode_message(data)

        if self.args.tempfail_first > 0:
            key = decoded["message_id"] or ""
            with self.lock:
                n = self.attempts.get(key, 0) + 1
                self.attempts[key] = n
            if n <= self.args.tempfail_first:
                self.show(f"[email] {now()}  451 deferred (attempt {n}/{self.args.tempfail_first})"
                          f"  Subject: {decoded['subject']}\n")
                return "451 4.3.0 Try again later"

        auth_user = None
        auth_data = getattr(session, "auth_data", None)
        if isinstance(auth_data, LoginPassword):
            auth_user = auth_data.login.decode("utf-8", errors="replace")
        # After STARTTLS the transport is the TLS one; with implicit TLS it always was.
        tls = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        entry = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "auth_user": auth_user,
            "raw": raw_text(data),
            **decoded,
            "received_at": received_at,
            "tls": tls,
        }
        self.record(entry)
        self.show(format_for_humans(entry))
        return "250 2.0.0 OK: queued"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        user, password = self.args.auth
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode("utf-8")
                and auth_data.password == password.encode("utf-8")):
            return AuthResult(success=True, auth_data=auth_data)
        self.show(f"[email] {now()}  535 AUTH {mechanism} refused\n")
        return AuthResult(success=False, handled=False)  # -> 535 5.7.8

    def record(self, entry: dict) -> None:
        if self.record_file is None:
            return
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            self.record_file.write(line + "\n")
            self.record_file.flush()

    def show(self, text: str) -> None:
        if not self.args.print_:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass

    def close(self) -> None:
        with self.lock:
            if self.record_file is not None:
                self.record_file.close()
                self.record_file = None


def now() -> str:
    return time.strftime("%H:%M:%S")


def format_for_humans(entry: dict) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(entry["received_at"]))
    to = entry["to"] or ", ".join(entry["rcpt_tos"])
    out = f"[email] {stamp}  To: {to}  Subject: {entry['subject'] or ''}\n"
    body = entry["body"]
    if body is None:
        body = entry["html"] or ""
    out += "".join(f"    {line}\n" for line in body.splitlines())
    return out


# --------------------------------------------------------------------------
# Main


class QuietFailedHandshakes(logging.Filter):
    """Drops aiosmtpd's traceback for a client that refused our certificate
    during STARTTLS: with a self-signed certificate that is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (TLSSetupException, ssl.SSLError))


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


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


def start_controller(handler: Handler, args: argparse.Namespace) -> tuple[Controller, int]:
    kwargs = dict(
        decode_data=False,
        enable_SMTPUTF8=True,
        server_hostname="smtp-receiver.localhost",  # avoids a getfqdn() DNS lookup
        ready_timeout=10.0,
    )
    if args.auth:
        kwargs.update(authenticator=handler.authenticator, auth_required=True, auth_require_tls=False)
    if args.starttls:
        kwargs.update(tls_context=self_signed_tls_context(args.starttls),
                      require_starttls=not args.starttls_optional)
    elif args.implicit_tls:
        kwargs.update(ssl_context=self_signed_tls_context(args.implicit_tls))
    attempts = 5 if args.port == 0 else 1
    for attempt in range(attempts):
        port = args.port or free_port(args.host)
        controller = Controller(handler, hostname=args.host, port=port, **kwargs)
        try:
            controller.start()
            return controller, port
        except OSError:  # the free port was taken in between; try another
            try:
                controller.stop(no_assert=True)
            except Exception:
                pass
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    # A test may start this from a thread whose signal mask blocks SIGTERM, and
    # the mask is inherited: start from an empty one.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    args = parse_args(argv)
    try:
        sys.stdout.reconfigure(errors="backslashreplace")
    except AttributeError:
        pass
    # auth without TLS is deliberate here (plain loopback); keep stderr quiet about it.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    logging.getLogger("mail.log").addFilter(QuietFailedHandshakes())

    handler = Handler(args)
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # inherited by the controller thread

    controller, port = start_controller(handler, args)
    if args.port_file:
        write_port_file(args.port_file, port)
    try:
        print(f"PORT {port}", flush=True)
    except BrokenPipeError:
        pass

    signal.sigwait(stop_signals)
    controller.stop()
    handler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
