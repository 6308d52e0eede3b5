"""aiosmtpd receiver for CurlEngineTests.

Usage: smtp_receiver.py RECORD_FILE MODE [USER:PASSWORD]
MODE is plain, starttls (STARTTLS offered and required), optional-starttls
(offered, not required) or smtps (implicit TLS). The TLS modes create a self-signed certificate for 127.0.0.1 next to
RECORD_FILE (cert.pem, key.pem). Prints the port, then serves until killed.
RCPT for any nobody@... address is answered "550 No such user". Every message
is appended to RECORD_FILE as one JSON line, with whether the session was
encrypted.
"""

import asyncio
import base64
import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# Started from a worker thread of the test process, which blocks most signals;
# the mask is inherited, so unblock them to be stoppable.
signal.pthread_sigmask(signal.SIG_SETMASK, [])

RECORD_FILE, MODE = sys.argv[1], sys.argv[2]
warnings.simplefilter("ignore")  # AUTH without TLS is deliberate here
logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # failed handshakes are expected
CREDENTIALS = sys.argv[3].encode() if len(sys.argv) > 3 else None


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        record = {
            "mailFrom": envelope.mail_from,
            "recipients": envelope.rcpt_tos,
            "content": base64.b64encode(envelope.content).decode(),
            "login": login,
            "encrypted": MODE == "smtps" or server._tls_protocol is not None,
        }
        with open(RECORD_FILE, "a") as out:
            out.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login + b":" + auth_data.password == CREDENTIALS
    # handled=False makes aiosmtpd answer 535 itself; the default sends nothing.
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def tls_context():
    directory = os.path.dirname(os.path.abspath(RECORD_FILE))
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def make_smtp(context):
    options = {}
    if CREDENTIALS:
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=False)
    if MODE in ("starttls", "optional-starttls"):
        options.update(tls_context=context, require_starttls=MODE == "starttls")
    return SMTP(Handler(), hostname="receiver.test", **options)


async def main():
    context = tls_context() if MODE != "plain" else None
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: make_smtp(context), "127.0.0.1", 0, ssl=context if MODE == "smtps" else None)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
