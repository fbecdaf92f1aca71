"""`python -m warehouse.server --data-dir D --port P --users-file F --log-file L [--host 127.0.0.1]`."""

from __future__ import annotations

import argparse
import logging
import resource
import signal
import sys
import threading
from pathlib import Path

from .server import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.server", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--users-file", type=Path, required=True)
    parser.add_argument("--log-file", type=Path, required=True)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    args.log_file.parent.mkdir(parents=True, exist_ok=True)
    # Every client connection, session and in-flight result holds descriptors; the engine fails hard
    # when it runs out, so take all the process may have.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))
    logging.basicConfig(
        filename=args.log_file,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(threadName)s %(message)s",
    )
    log = logging.getLogger("warehouse.server")
    server = build(args.host, args.port, args.data_dir, args.users_file)
    log.info("serving ClickHouse %s HTTP on %s:%s, data %s", server.engine.version, args.host, args.port, args.data_dir)

    def stop(signum, _frame) -> None:
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.close()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
