#!/usr/bin/env python3
"""OpenID Connect provider for commsd end-to-end tests of console sign-in.

A real provider on loopback: Django 5.2 with django-oidc-provider 0.9.0,
configured in code (no project folder). Its SQLite database lives in --data
DIR. On start it migrates, creates the --user accounts and their groups, one
RSA signing key and one confidential client (authorization code flow, PKCE
accepted, no consent page), then serves on 127.0.0.1 and prints

    oidc_provider: issuer http://127.0.0.1:PORT/openid

Discovery: ISSUER/.well-known/openid-configuration. Login form (username,
password, CSRF-protected): /accounts/login/. With the scopes `openid profile`
the ID token (and userinfo) carry preferred_username, name and groups.
SIGTERM and SIGINT stop it with exit status 0.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

# This file is named like the package: keep its own directory off the import
# path, or `import oidc_provider` would import this script again.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

HOST = "127.0.0.1"

LOGIN_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Log in</title></head><body>
<h1>Log in</h1>
{% if form.errors %}<p class="error">Wrong username or password.</p>{% endif %}
<form method="post">{% csrf_token %}
<p><label>Username <input name="username" autocomplete="username" autofocus></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
<input type="hidden" name="next" value="{{ next }}">
<p><button type="submit">Log in</button></p>
</form></body></html>
"""


def parse_user(value: str) -> tuple[str, str, str, list[str]]:
    # USERNAME:PASSWORD:DISPLAY NAME:GROUP1,GROUP2; the password may contain ':'.
    parts = value.split(":")
    if len(parts) < 4 or not parts[0]:
        raise argparse.ArgumentTypeError(f"expected USERNAME:PASSWORD:DISPLAY NAME:GROUPS, got {value!r}")
    groups = [g.strip() for g in parts[-1].split(",") if g.strip()]
    return parts[0], ":".join(parts[1:-2]), parts[-2].strip(), groups


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="OpenID Connect provider for commsd tests.")
    p.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1; 0 picks a free port (default)")
    p.add_argument("--port-file", help="write the bound port number to this file (atomically)")
    p.add_argument("--data", required=True, metavar="DIR", help="directory for the SQLite database (created if missing)")
    p.add_argument("--client-id", required=True, help="client_id of the confidential client")
    p.add_argument("--client-secret", required=True, help="its client_secret")
    p.add_argument("--redirect-uri", action="append", required=True, metavar="URI",
                   help="a registered redirect URI of the client (repeatable)")
    p.add_argument("--user", action="append", default=[], type=parse_user,
                   metavar="USERNAME:PASSWORD:DISPLAY NAME:GROUP1,GROUP2",
                   help="a user account; groups may be empty (repeatable)")
    return p.parse_args(argv)


# Claims hooks (named by dotted path in the settings, so module level)


def userinfo(claims, user):
    """OIDC_USERINFO: the standard claims the `profile` scope hands out."""
    claims["preferred_username"] = user.username
    claims["name"] = user.get_full_name()  # "" (left out of the token) without a display name
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    return claims


def make_group_claims():
    from oidc_provider.lib.claims import ScopeClaims

    class GroupClaims(ScopeClaims):
        """OIDC_EXTRA_SCOPE_CLAIMS: `groups` with the scope `profile` (or `groups`)."""

        def scope_profile(self):
            return {"groups": sorted(self.user.groups.values_list("name", flat=True))}

        scope_groups = scope_profile

    return GroupClaims



def configure(data_dir: str, port: int) -> None:
    from django.conf import settings

    site_url = f"http://{HOST}:{port}"
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=[HOST, "localhost"],
        ROOT_URLCONF=__name__,  # urlpatterns is set in setup_django()
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                        "django.contrib.sessions", "oidc_provider"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.middleware.common.CommonMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        DATABASES={"default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(data_dir, "oidc_provider.sqlite3"),
            # Threaded server: wait for locks; IMMEDIATE avoids lock-upgrade deadlocks.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [
                ("django.template.loaders.locmem.Loader", {"login.html": LOGIN_HTML}),
                "django.template.loaders.app_directories.Loader",  # the package's templates
            ]},
        }],
        # Fast hashing: test passwords only.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGIN_URL="/accounts/login/",
        # With DEBUG off Django's default logging drops errors: send them to stderr.
        LOGGING={"version": 1, "disable_existing_loggers": False,
                 "handlers": {"stderr": {"class": "logging.StreamHandler"}},
                 "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"},
                             "oidc_provider": {"handlers": ["stderr"], "level": "WARNING"}}},
        # django-oidc-provider (see oidc_provider/settings.py)
        SITE_URL=site_url,  # issuer = SITE_URL + /openid
        OIDC_IDTOKEN_INCLUDE_CLAIMS=True,
        OIDC_USERINFO=f"{__name__}.userinfo",
        OIDC_EXTRA_SCOPE_CLAIMS=f"{__name__}.GroupClaims",
    )


def setup_django(args: argparse.Namespace):
    import django

    django.setup()
    globals()["GroupClaims"] = make_group_claims()

    from django.contrib.auth.views import LoginView
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path

    globals()["urlpatterns"] = [
        path("accounts/login/", LoginView.as_view(template_name="login.html"), name="login"),
        path("openid/", include("oidc_provider.urls", namespace="oidc_provider")),
    ]
    call_command("migrate", verbosity=0, interactive=False)
    seed(args)
    return get_wsgi_application()


def seed(args: argparse.Namespace) -> None:
    """Make the database match the command line (--data may be reused)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.contrib.auth.models import Group, User
    from oidc_provider.models import Client, ResponseType, RSAKey

    for username, password, display, groups in args.user:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, _, user.last_name = display.partition(" ")
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get_or_create(name=g)[0] for g in groups])
    User.objects.exclude(username__in=[u[0] for u in args.user]).delete()

    # One signing key, made as `manage.py creatersakey` does; kept across restarts.
    if not RSAKey.objects.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        RSAKey.objects.create(key=key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        ).decode("utf-8"))

    client, _ = Client.objects.update_or_create(client_id=args.client_id, defaults={
        "name": args.client_id,
        "client_type": "confidential",  # (a public client would always get the consent page)
        "client_secret": args.client_secret,
        "jwt_alg": "RS256",
        "require_consent": False, "reuse_consent": True,
        "_redirect_uris": "\n".join(args.redirect_uri),
    })
    client.response_types.set([ResponseType.objects.get(value="code")])  # rows made by the migrations
    Client.objects.exclude(pk=client.pk).delete()



class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Handler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):  # one short line, no query string
        sys.stderr.write(f"oidc_provider: {self.command} {self.path.split('?', 1)[0]} {code}\n")

    def log_message(self, format, *args):
        sys.stderr.write("oidc_provider: " + (format % args) + "\n")


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    # A parent's blocked signals are inherited: start from an empty mask, then
    # block the stop signals in every thread and wait for them with sigwait.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    args = parse_args(argv)
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    os.makedirs(args.data, exist_ok=True)
    server = Server((HOST, args.port), Handler)  # bind first: SITE_URL needs the port
    port = server.server_address[1]
    configure(args.data, port)
    server.set_app(setup_django(args))

    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="serve", daemon=True)
    thread.start()
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"oidc_provider: issuer http://{HOST}:{port}/openid", flush=True)

    signal.sigwait(stop_signals)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
