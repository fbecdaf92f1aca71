"""Where ClickHouse is: env over `.env`, external vs embedded, read-only, and `tallyhouse env`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.settings import SettingsError, WarehouseSettings, configured_values, resolve

TRICKY_PASSWORD = "p'a\"s s$(touch /tmp/tallyhouse-pwned)`id`;\\n\t!x"


def external(environ: dict[str, str], readonly: bool = False, dotenv: list[Path] | None = None):
    return resolve(readonly, environ=environ, dotenv_paths=dotenv or [], start_embedded=False)


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("CLICKHOUSE_HOST=from-dotenv\nCLICKHOUSE_PORT=9000\nCLICKHOUSE_USER=dotenv_user\n")
    settings = external({"CLICKHOUSE_HOST": "from-env"}, dotenv=[dotenv])
    assert settings.host == "from-env"
    assert settings.port == 9000  # not in the environment, so the .env value stands
    assert settings.user == "dotenv_user"
    assert settings.embedded is False


def test_first_dotenv_wins_and_only_clickhouse_keys_are_read(tmp_path: Path) -> None:
    cwd_env = tmp_path / "cwd.env"
    root_env = tmp_path / "root.env"
    cwd_env.write_text("CLICKHOUSE_HOST=cwd-host\nPATH=/nowhere\n")
    root_env.write_text("CLICKHOUSE_HOST=root-host\nCLICKHOUSE_PASSWORD='quoted secret'\n")
    values = configured_values({}, [cwd_env, root_env])
    assert values == {"CLICKHOUSE_HOST": "cwd-host", "CLICKHOUSE_PASSWORD": "quoted secret"}


def test_real_dotenv_in_working_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("CLICKHOUSE_HOST=ch.example.internal\nCLICKHOUSE_SECURE=true\n")
    monkeypatch.chdir(tmp_path)
    for key in ("CLICKHOUSE_HOST", "CLICKHOUSE_PORT", "CLICKHOUSE_SECURE"):
        monkeypatch.delenv(key, raising=False)
    settings = resolve(start_embedded=False)
    assert (settings.host, settings.port, settings.secure) == ("ch.example.internal", 8443, True)
    assert settings.http_url == "https://ch.example.internal:8443"


def test_external_defaults() -> None:
    settings = external({"CLICKHOUSE_HOST": "ch"})
    assert settings == WarehouseSettings(
        host="ch", port=8123, user="default", password="", secure=False, readonly=False, embedded=False
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("CLICKHOUSE_PORT", "eighty"), ("CLICKHOUSE_PORT", "70000"), ("CLICKHOUSE_SECURE", "maybe")],
)
def test_bad_values_name_the_variable(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=key):
        external({"CLICKHOUSE_HOST": "ch", key: value})


def test_readonly_on_external_server_uses_ro_user() -> None:
    environ = {
        "CLICKHOUSE_HOST": "ch",
        "CLICKHOUSE_USER": "writer",
        "CLICKHOUSE_PASSWORD": "w",
        "CLICKHOUSE_RO_USER": "reader",
        "CLICKHOUSE_RO_PASSWORD": "r",
    }
    settings = external(environ, readonly=True)
    assert (settings.user, settings.password, settings.readonly) == ("reader", "r", True)
    with pytest.raises(SettingsError, match="CLICKHOUSE_RO_USER"):
        external({"CLICKHOUSE_HOST": "ch", "CLICKHOUSE_USER": "writer"}, readonly=True)


def test_exports_survive_eval_with_any_password(tmp_path: Path) -> None:
    settings = external({"CLICKHOUSE_HOST": "ch", "CLICKHOUSE_PASSWORD": TRICKY_PASSWORD})
    script = settings.exports() + 'printf "%s" "$CLICKHOUSE_PASSWORD"'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout == TRICKY_PASSWORD
    assert not Path("/tmp/tallyhouse-pwned").exists()


def test_sqlalchemy_url_encodes_credentials() -> None:
    settings = external({"CLICKHOUSE_HOST": "ch", "CLICKHOUSE_USER": "u@x", "CLICKHOUSE_PASSWORD": "a/b:c@d"})
    assert settings.sqlalchemy_url() == "clickhousedb://u%40x:a%2Fb%3Ac%40d@ch:8123/default"


# --- embedded endpoint (real process, real socket) ---


def test_unset_host_means_embedded_endpoint(endpoint) -> None:
    settings = resolve(environ={}, dotenv_paths=[])
    assert settings.embedded is True
    assert (settings.host, settings.port) == ("127.0.0.1", endpoint.port)
    from warehouse import embedded

    assert settings.user == embedded.credentials().user
    assert settings.password == embedded.credentials().password
    readonly = resolve(readonly=True, environ={}, dotenv_paths=[])
    assert readonly.user == embedded.credentials(readonly=True).user
    assert readonly.user != settings.user


def test_empty_host_in_environment_overrides_dotenv_host(endpoint, tmp_path: Path) -> None:
    """`CLICKHOUSE_HOST=` in the shell is how a user points back at the embedded endpoint."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("CLICKHOUSE_HOST=ch.example.internal\n")
    settings = resolve(environ={"CLICKHOUSE_HOST": ""}, dotenv_paths=[dotenv])
    assert settings.embedded and settings.port == endpoint.port


def test_get_client_reaches_embedded_endpoint(endpoint, isolated_settings) -> None:
    from warehouse.client import ensure_databases, get_client

    client = get_client()
    assert client.command("SELECT 1 + 2") == 3
    assert ensure_databases(client, ["w2_settings_a", "w2_settings_b"]) == ["w2_settings_a", "w2_settings_b"]
    assert ensure_databases(client, ["w2_settings_a", "w2_settings_b"]) == []
    with pytest.raises(ValueError, match="plain identifier"):
        ensure_databases(client, ["bad; DROP DATABASE x"])
    from clickhouse_connect.driver.exceptions import DatabaseError

    reader = get_client(readonly=True)
    assert reader.command("SELECT count() FROM system.databases WHERE name = 'w2_settings_a'") == 1
    with pytest.raises(DatabaseError, match="164|READONLY|readonly"):
        reader.command("CREATE DATABASE w2_settings_denied")


def _tallyhouse_env(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-m", "tallyhouse.cli", "env", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


@pytest.mark.parametrize("readonly", [False, True])
def test_tallyhouse_env_then_eval_and_connect(endpoint, isolated_settings, readonly: bool) -> None:
    """`eval "$(tallyhouse env)"` alone must let a plain client (not our settings code) connect."""
    # An empty host in the environment beats any `.env` in the checkout: the embedded endpoint.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKHOUSE_")} | {"CLICKHOUSE_HOST": ""}
    exports = _tallyhouse_env(["--readonly"] if readonly else [], env)
    assert exports.count("export CLICKHOUSE_") == 5
    assert f"export CLICKHOUSE_PORT={endpoint.port}\n" in exports
    # The probe uses only the exported variables; the write attempt tells the two users apart.
    probe = (
        "import os, clickhouse_connect\n"
        "from clickhouse_connect.driver.exceptions import DatabaseError\n"
        "c = clickhouse_connect.get_client(host=os.environ['CLICKHOUSE_HOST'],"
        " port=int(os.environ['CLICKHOUSE_PORT']), username=os.environ['CLICKHOUSE_USER'],"
        " password=os.environ['CLICKHOUSE_PASSWORD'])\n"
        "print(c.command('SELECT sum(number) FROM numbers(101)'))\n"
        "try:\n"
        "    c.command('CREATE TABLE IF NOT EXISTS default.w2_env_probe (n UInt8) ENGINE = Memory')\n"
        "    print('wrote')\n"
        "except DatabaseError as e:\n"
        "    print('refused', 'READONLY' in str(e) or 'Code: 164' in str(e))\n"
    )
    script = f'eval "$({sys.executable} -m tallyhouse.cli env {"--readonly" if readonly else ""})"\n'
    script += f"{sys.executable} -c {shlex.quote(probe)}\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == (["5050", "refused", "True"] if readonly else ["5050", "wrote"])


def test_current_user_is_the_authenticated_user(endpoint) -> None:
    from warehouse.client import get_client

    for readonly in (False, True):
        settings = resolve(readonly=readonly, environ={}, dotenv_paths=[])
        assert get_client(settings=settings).command("SELECT currentUser()") == settings.user
