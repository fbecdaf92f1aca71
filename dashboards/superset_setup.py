"""Superset's first-run steps in one process: `python -m dashboards.superset_setup`, admin login on stdin.

The same three steps as `superset db upgrade`, `superset init` and `superset fab create-admin`, but one
interpreter builds the app once instead of three times (each CLI start imports all of Superset, about a
minute on a loaded 2-core machine). The admin password comes on stdin, so it is never in a process
listing or in the server log, where the CLI's `--password` argument put it.

Run it with `dashboards.server.superset_environment()`: Superset reads its config path at import time.
"""

from __future__ import annotations

import json
import sys

ADMIN_NAME = ("Tallyhouse", "Admin", "admin@tallyhouse.invalid")


def set_up(username: str, password: str) -> bool:
    """Migrate the metadata DB, sync roles and permissions, add the admin once; True when it was added."""
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import appbuilder, security_manager

        upgrade()  # the directory Superset registered with Flask-Migrate: its own migrations
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        if security_manager.find_user(username=username) is not None:
            return False
        first, last, email = ADMIN_NAME
        role = security_manager.find_role(security_manager.auth_role_admin)
        if not security_manager.add_user(username, first, last, email, role, password=password):
            raise RuntimeError(f"Superset refused to create the admin user {username!r}")
        return True


def main() -> None:
    login = json.loads(sys.stdin.read())
    added = set_up(login["username"], login["password"])
    print(f"admin user {login['username']}: {'created' if added else 'already present'}")


if __name__ == "__main__":
    main()
