"""HTTP/1.1 keep-alive receiver for CurlEngineTests.

Usage: http_receiver.py RECORD_FILE [tls]
Prints the port it listens on (127.0.0.1, chosen by the kernel), then serves
until killed. With "tls" it serves HTTPS with a self-signed certificate for
127.0.0.1 written next to RECORD_FILE (cert.pem, key.pem). Every POST is appended to RECORD_FILE as one JSON line before
the answer is sent. Paths:
  /status/N  answer status N (503 adds Retry-After: 120)
  /delay/MS  wait MS milliseconds, then answer 200
  /big       answer 200 with a 200,000-byte body
  anything else: 200 "ok"
"""

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Started from a worker thread of the test process, which blocks most signals;
# the mask is inherited, so unblock them to be stoppable.
signal.pthread_sigmask(signal.SIG_SETMASK, [])

RECORD_FILE = sys.argv[1]
record_lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each keep-alive answer waits ~40 ms

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        record = {
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers.items()],
            "body": base64.b64encode(body).decode(),
            "clientPort": self.client_address[1],
        }
        with record_lock, open(RECORD_FILE, "a") as out:
            out.write(json.dumps(record) + "\n")

        status, extra, payload = 200, [], b"ok"
        parts = self.path.strip("/").split("/")
        if parts[0] == "status":
            status = int(parts[1])
            payload = b"" if status == 204 else f"status {status}".encode()
            if status == 503:
                extra.append(("Retry-After", "120"))
        elif parts[0] == "delay":
            time.sleep(int(parts[1]) / 1000)
        elif parts[0] == "big":
            payload = b"x" * 200_000

        self.send_response(status)
        self.send_header("X-Receiver", "test")
        for name, value in extra:
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if status != 204:
            self.wfile.write(payload)


class Server(ThreadingHTTPServer):
    request_queue_size = 256  # 50 clients connecting at once must not overflow the backlog
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out close the socket under a sleeping handler


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


server = Server(("127.0.0.1", 0), Receiver)
if sys.argv[2:] == ["tls"]:
    server.socket = tls_context().wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
