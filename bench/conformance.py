"""Run clickhouse-connect's own integration test suite against the embedded endpoint.

The suite is the closest thing to a specification of "what clickhouse-connect needs from a server", so
the endpoint is judged by it, with compression on (the client's default) and off. Its code is never
copied into this repository: pass the path of a checkout (a working tree, or a bare git directory
whose HEAD is used) and the script works on a temporary copy.

The client under test is the one from the same checkout (tests and client versions must match), built
into a throwaway venv together with the suite's test requirements.

    python bench/conformance.py /path/to/clickhouse-connect [--compress both|on|off] [-k EXPR]

Prints pass/fail/skip counts per compression mode and the most common failure messages.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

# Test requirements beyond the client itself (from the suite's tests/test_requirements.txt, minus the
# linters and coverage tooling that do not touch a server).
TEST_REQUIREMENTS = [
    "pytest", "pytest-xdist", "pytest-timeout", "pytest-asyncio", "pytest-mock", "pytest-dotenv", "aiohttp>=3.9", "sqlalchemy>=2.0,<3.0",
    "alembic>=1.18", "pyarrow>=18,<19", "numpy~=1.26.0", "pandas>=2.0,<3", "polars>=1.0", "backports.zstd>=1.3.0",
    "lz4", "pyjwt[crypto]==2.10.1", "cython>=3.1,<4", "setuptools", "urllib3>=1.26", "certifi",
]
# Integration tests that need infrastructure no single local server has (TLS certificates, a forward
# proxy, ClickHouse Cloud JWT auth); they skip themselves or fail for reasons unrelated to the endpoint.
INFRASTRUCTURE_TESTS = ["test_tls.py", "test_proxy.py", "test_jwt_auth.py"]


def materialise(checkout: Path, into: Path) -> Path:
    """A plain working copy of the checkout (a bare git dir is exported from HEAD)."""
    target = into / "clickhouse-connect"
    if (checkout / "tests").is_dir():
        shutil.copytree(checkout, target, ignore=shutil.ignore_patterns(".git", "build", "*.so"))
        return target
    target.mkdir()
    archive = subprocess.run(["git", "--git-dir", str(checkout), "archive", "HEAD"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def build_venv(source: Path, venv: Path) -> Path:
    uv = shutil.which("uv") or str(PROJECT_ROOT / ".venv" / "bin" / "uv")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), *TEST_REQUIREMENTS], check=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), "--reinstall-package",
                    "clickhouse-connect", str(source)], check=True)
    # Compiled extensions are built into the installed package; the tests import the source tree, so
    # build them in place too.
    subprocess.run([str(python), "setup.py", "build_ext", "--inplace"], cwd=source, check=True,
                   capture_output=True)
    return python


def run_suite(python: Path, source: Path, port: int, user: str, password: str, compress: str,
              extra: list[str], report: Path, workers: int = 2) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        CLICKHOUSE_CONNECT_TEST_HOST="127.0.0.1",
        CLICKHOUSE_CONNECT_TEST_PORT=str(port),
        CLICKHOUSE_CONNECT_TEST_USER=user,
        CLICKHOUSE_CONNECT_TEST_PASSWORD=password,
        CLICKHOUSE_CONNECT_TEST_COMPRESS=compress,
        CLICKHOUSE_CONNECT_TEST_DOCKER="False",
        PYTHONPATH=str(source),
    )
    env.pop("TALLYHOUSE_HOME", None)
    ignores = [f"--ignore=tests/integration_tests/{name}" for name in INFRASTRUCTURE_TESTS]
    # The suite's addopts asks for 4 xdist workers; this machine and the one endpoint process get 2.
    command = [str(python), "-m", "pytest", "tests/integration_tests", "-q", "-p", "no:cacheprovider",
               "-n", str(workers), "-o", "log_cli=false", "--timeout=300", f"--junitxml={report}", *ignores, *extra]
    return subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)


def summarise(report: Path) -> tuple[collections.Counter, collections.Counter, list[str]]:
    counts: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    failed: list[str] = []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                message = (child.get("message") or child.text or "").strip().splitlines()
                reasons[(message[0] if message else child.tag)[:160]] += 1
                failed.append(name)
            elif child.tag == "skipped":
                outcome = "skipped"
        counts[outcome] += 1
    return counts, reasons, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="clickhouse-connect checkout (working tree or bare git dir)")
    parser.add_argument("--compress", choices=["both", "on", "off"], default="both")
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "tallyhouse-conformance-venv")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the copy and reports here")
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    parser.add_argument("--show-failures", type=int, default=25)
    args = parser.parse_args()

    from tests.conftest import free_port
    from warehouse import embedded

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tallyhouse-conformance-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "clickhouse-connect"
    if not source.exists():
        source = materialise(args.checkout.resolve(), workdir)
    print(f"suite copy: {source}", flush=True)
    python = build_venv(source, args.venv)

    os.environ["TALLYHOUSE_HOME"] = str(workdir / "home")
    status = embedded.start(port=free_port())
    creds = embedded.credentials()
    modes = {"both": ["True", "False"], "on": ["True"], "off": ["False"]}[args.compress]
    extra = ["-k", args.keyword] if args.keyword else []
    total_ok = True
    try:
        for compress in modes:
            report = workdir / f"report-compress-{compress}.xml"
            result = run_suite(python, source, status.port, creds.user, creds.password, compress, extra, report)
            (workdir / f"pytest-compress-{compress}.log").write_text(result.stdout + result.stderr)
            if not report.exists():
                print(result.stdout[-3000:] + result.stderr[-3000:])
                return 2
            counts, reasons, failed = summarise(report)
            ran = counts["passed"] + counts["failed"]
            rate = counts["passed"] / ran if ran else 0.0
            print(f"\ncompress={compress}: passed {counts['passed']}, failed {counts['failed']}, "
                  f"skipped {counts['skipped']}  -> pass rate {rate:.1%} of tests run", flush=True)
            for reason, n in reasons.most_common(args.show_failures):
                print(f"  {n:4d} x {reason}")
            (workdir / f"failed-compress-{compress}.txt").write_text("\n".join(failed) + "\n")
            total_ok = total_ok and counts["failed"] == 0
    finally:
        embedded.stop()
    print(f"\nreports and logs: {workdir}")
    return 0 if total_ok else 1


if __name__ == "__main__":
    sys.exit(main())
