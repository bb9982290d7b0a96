"""``nnscratch playground``: the subcommand, for ``nnscratch/cli/__init__.py`` to register."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """Start the playground: a local web page where a small network trains on the
nnscratch engine while you watch. The server listens on 127.0.0.1 (this machine
only) unless --host says otherwise, and opens a browser only with --open.
Stop it with Ctrl-C."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0..65535, got {text!r}")
    return value


def _run(args) -> int:
    from .server import make_server

    try:
        server = make_server(args.host, args.port, verbose=args.verbose)
    except OSError as exc:
        print(
            f"nnscratch playground: error: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return 1
    url = server.url
    print(f"nnscratch playground at {url}   (Ctrl-C stops it)", flush=True)
    if not server.loopback:
        print(
            "note: listening beyond this machine; anyone who can reach it can use it",
            file=sys.stderr,
        )
    if args.open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("nnscratch playground: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def add_playground_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``playground`` to an ``add_subparsers()`` object; ``args.run(args)`` returns the exit code."""
    parser = subparsers.add_parser(
        "playground",
        help="train and watch networks in the browser, on the real engine",
        description=DESCRIPTION,
        epilog="examples:\n  nnscratch playground\n  nnscratch playground --port 8765 --open",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    parser.add_argument(
        "--open", action="store_true", help="open the page in the default web browser"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.set_defaults(run=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m nnscratch.playground``: the subcommand on its own."""
    parser = argparse.ArgumentParser(prog="nnscratch")
    add_playground_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["playground", *(sys.argv[1:] if argv is None else argv)])
    return args.run(args)
