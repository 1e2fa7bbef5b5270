"""A real SMTP submission server for the tests: aiosmtpd with AUTH (PLAIN, LOGIN) and
STARTTLS on one port, implicit TLS on another, and optionally a plaintext port that
offers no STARTTLS. Every accepted message is written to OUTDIR as one JSON file
(envelope, authenticated user, whether TLS was on, the data). Prints READY when listening.

usage: submission_server.py ADDRESS OUTDIR USER PASSWORD NAME
           [--starttls PORT] [--implicit PORT] [--plain PORT] [--cert FILE --key FILE]
"""
import warnings
warnings.simplefilter("ignore")
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, outdir):
        self.outdir = outdir

    async def handle_DATA(self, server, session, envelope):
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "user": session.auth_data if session.authenticated else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        name = uuid.uuid4().hex
        temporary = os.path.join(self.outdir, "." + name)
        with open(temporary, "w") as f:
            json.dump(record, f)
        os.rename(temporary, os.path.join(self.outdir, name + ".json"))
        return "250 OK stored"


def main():
    parser = argparse.ArgumentParser()
    for name in ("address", "outdir", "user", "password", "name"):
        parser.add_argument(name)
    for name in ("--starttls", "--implicit", "--plain"):
        parser.add_argument(name, type=int)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == args.user
              and auth_data.password.decode() == args.password)
        return AuthResult(success=ok, auth_data=args.user if ok else None)

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    store = Store(args.outdir)
    common = dict(hostname=args.address, server_hostname=args.name, authenticator=authenticate,
                  auth_required=True, ready_timeout=30)
    controllers = []
    if args.starttls:
        controllers.append(Controller(store, port=args.starttls, tls_context=context,
                                      require_starttls=True, auth_require_tls=True, **common))
    if args.implicit:
        controllers.append(Controller(store, port=args.implicit, ssl_context=context,
                                      auth_require_tls=False, **common))
    if args.plain:
        controllers.append(Controller(store, port=args.plain, auth_require_tls=False, **common))
    for controller in controllers:
        controller.start()
    print("READY", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(1):
        if os.getppid() == 1:   # the test process died without stopping us
            break
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
