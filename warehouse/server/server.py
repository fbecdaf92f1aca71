"""The listening socket: a threaded HTTP server, one thread per client connection.

Threads suit chDB: each request blocks in the engine with the GIL released, so Superset, Dagster and dbt
queries run side by side and a slow query never holds up a fast one.
"""

from __future__ import annotations

import logging
import shutil
import socket
from http.server import ThreadingHTTPServer
from pathlib import Path

from .access import AccessStore
from .engine import Engine
from .handler import Handler
from .sessions import SessionRegistry
from .users import User, load_users

log = logging.getLogger("warehouse.server")


class EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, data_dir: Path, users: dict[str, User], access_file: Path | None = None):
        # Result FIFOs and spooled results live next to the data, so a killed server leaves nothing
        # behind in /tmp and the next start clears what it left.
        self._fifo_root = Path(data_dir).parent / f"{Path(data_dir).name}.run"
        shutil.rmtree(self._fifo_root, ignore_errors=True)
        self._fifo_root.mkdir(parents=True, mode=0o700)
        self.engine = Engine(data_dir, self._fifo_root)
        self.users = users
        # Users, roles and grants made with SQL live beside the generated users file (see `access`).
        self.access = AccessStore(
            access_file or Path(data_dir).parent / f"{Path(data_dir).name}.access.json", set(users),
            {name for name, user in users.items() if user.readonly},
        )
        self.sessions = SessionRegistry(self.engine.connect)
        self.display_name = socket.gethostname() or "tallyhouse"
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)

    def handle_error(self, request, client_address) -> None:
        """Clients dropping idle keep-alive connections is normal; anything else is logged in full."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            log.debug("client %s went away: %s", client_address, exc)
            return
        log.exception("error while serving %s", client_address)

    def close(self) -> None:
        """Release sessions and the engine; committed parts are already on disk."""
        self.server_close()
        self.sessions.close_all()
        self.engine.close()
        shutil.rmtree(self._fifo_root, ignore_errors=True)


def build(host: str, port: int, data_dir: Path, users_file: Path) -> EndpointServer:
    access_file = Path(users_file).with_name("clickhouse-access.json")
    return EndpointServer(host, port, data_dir, load_users(users_file), access_file)
