"""CLI: python -m capgo_emulator --host 127.0.0.1 --port 8787 --seed FILE [--db FILE]
[--tls-cert FILE --tls-key FILE | --tls self-signed [--tls-ca-out FILE]] [--ready-file FILE]."""

import argparse
import json
import logging
import os
import signal
import sys
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import EmulatorApp, is_loopback_host
from .errors import SeedError
from .state import State
from .tls import TlsError, build_context, wrap_server


class QuietHandler(WSGIRequestHandler):
    """No per-request access log on stderr (it would slow the emulator down)."""

    def log_request(self, code="-", size="-"):
        pass


def load_seed_file(path):
    import yaml  # PyYAML (YAML is a superset of JSON)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SeedError("not valid YAML or JSON: %s" % exc)


def write_ready_file(path, url):
    """The URL in ``path``, which appears complete or not at all (a launcher polls for it)."""
    partial = "%s.%d.partial" % (path, os.getpid())
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")
    os.replace(partial, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="capgo_emulator",
                                     description="Local emulator of the Capgo Cloud API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    parser.add_argument("--seed", help="seed document (YAML or JSON)")
    parser.add_argument("--db", help="SQLite file keeping the state across restarts")
    parser.add_argument("--blob-dir", metavar="DIR",
                        help="directory for uploaded bytes (default: DB.blobs with --db, "
                             "else a temporary directory removed on exit)")
    parser.add_argument("--enable-control", action="store_true",
                        help="serve /_emulator/* even when not listening on loopback")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="FILE", help="private key of --tls-cert (PEM)")
    parser.add_argument("--tls", choices=["self-signed"],
                        help="serve HTTPS with a throwaway certificate made for --host")
    parser.add_argument("--tls-ca-out", metavar="FILE",
                        help="with --tls self-signed: write its certificate (PEM) there")
    parser.add_argument("--ready-file", metavar="FILE",
                        help="once listening, write the URL there (written whole, then renamed)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls and args.tls_cert:
        parser.error("--tls self-signed and --tls-cert/--tls-key exclude each other")
    if args.tls_ca_out and not args.tls:
        parser.error("--tls-ca-out needs --tls self-signed")
    try:
        tls_context = build_context(args)
    except TlsError as exc:
        sys.stderr.write("capgo-emulator: %s\n" % exc)
        return 2

    state = State(db_path=args.db, blob_dir=args.blob_dir)
    seed = None
    if args.seed:
        try:
            seed = load_seed_file(args.seed)
            probe = State()
            probe.load_seed(seed)  # validate even when --db already holds a state
        except OSError as exc:
            sys.stderr.write("capgo-emulator: cannot read seed file %s: %s\n"
                             % (args.seed, exc.strerror or exc))
            return 2
        except SeedError as exc:
            sys.stderr.write("capgo-emulator: bad seed file %s: %s\n" % (args.seed, exc))
            return 2
    try:
        restored = state.load_db()
    except Exception as exc:  # corrupt or unreadable database
        sys.stderr.write("capgo-emulator: cannot open database %s: %s\n" % (args.db, exc))
        return 2
    if not restored:
        state.load_seed(seed)
        state.save()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = EmulatorApp(state, control_allowed=args.enable_control or is_loopback_host(args.host))
    try:
        server = make_server(args.host, args.port, app, threaded=True,
                             request_handler=QuietHandler)
    except OSError as exc:
        sys.stderr.write("capgo-emulator: cannot listen on %s:%s: %s\n"
                         % (args.host, args.port, exc.strerror or exc))
        return 1
    server.daemon_threads = True
    if tls_context is not None:
        wrap_server(server, tls_context)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host = args.host if ":" not in args.host else "[%s]" % args.host
    scheme = "https" if tls_context is not None else "http"
    url = "%s://%s:%d" % (scheme, host, server.server_port)
    sys.stdout.write("capgo-emulator listening on %s\n" % url)
    sys.stdout.flush()
    if args.ready_file:
        write_ready_file(args.ready_file, url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        with state.lock:
            state.save()
            state.close()
        state.blobs.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
