"""The suite's test of itself: the tests that depend on timing pass with the machine busy.

Not part of every run (it takes long): pyproject's addopts deselect the `under_load` marker,
and `make test-under-load` selects it. stress-ng keeps every core busy while the browser
journeys, the certificates, the concurrency tests, the outbox senders, the fault tests and
the two servers run beside it in a pytest of their own; every one of them must pass, none
skipped. UNDER_LOAD_TESTS (paths separated by spaces) runs other tests under load, such as
the whole suite (`UNDER_LOAD_TESTS=tests make test-under-load`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest

from tests.waiting import patience, wait_until

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "test-output" / "under-load.log"

#: The tests whose outcome could depend on how fast the machine is: real servers and
#: browsers, threads and processes racing, senders and their leases, deadlines.
TIMING_SENSITIVE = (
    "tests/browser",
    "tests/test_certificates.py",
    "tests/test_registration_concurrency.py",
    "tests/test_attendance_concurrency.py",
    "tests/test_hybrid_concurrency.py",
    "tests/test_outbox_concurrency.py",
    "tests/test_outbox.py",
    "tests/test_mail_poison.py",
    "tests/test_two_servers.py",
    "tests/test_faults.py",
    "tests/test_invites.py",
    "tests/test_targets.py",
    "tests/test_desks.py",
    "tests/test_auth.py",
)

#: The longest the tests may take beside the load before the run counts as failed.
RUN_WITHIN = patience(3600)

#: pytest's closing line, "=== 12 passed, 1 warning in 3.4s ===" (the = signs not with -q).
SUMMARY = re.compile(r"^(?:=+ )?(?P<summary>\d+ [a-z]+(?:, \d+ [a-z]+)*) in [\d.]+s")


def _busy(cores: int) -> subprocess.Popen:
    """stress-ng with one CPU worker per core, in a process group of its own; it stops by
    itself after RUN_WITHIN (and a minute) should this test be killed."""
    return subprocess.Popen(
        [
            "stress-ng",
            "--cpu",
            str(cores),
            "--timeout",
            f"{int(RUN_WITHIN) + 60}s",
            "--metrics-brief",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def _stop(stress: subprocess.Popen) -> str:
    """Stop stress-ng and its workers; what it reported."""
    if stress.poll() is None:
        os.killpg(stress.pid, signal.SIGINT)
    try:
        output, _ = stress.communicate(timeout=patience(60))
    except subprocess.TimeoutExpired:
        os.killpg(stress.pid, signal.SIGKILL)
        output, _ = stress.communicate()
    return output


def _stop_tests(tests: subprocess.Popen) -> None:
    """A run past its time: interrupted like Ctrl-C (its servers and databases are cleaned
    up, its failures reported), then killed with all it started if that does not end it."""
    with suppress(ProcessLookupError):
        os.kill(tests.pid, signal.SIGINT)
        try:
            tests.wait(timeout=patience(120))
        except subprocess.TimeoutExpired:
            os.killpg(tests.pid, signal.SIGKILL)


def _run_tests(targets: list[str]) -> tuple[int, str]:
    """pytest on `targets`, its lines echoed as they come and kept in test-output/; stopped
    when it runs past RUN_WITHIN (a test that waits forever fails the run, not hangs it)."""
    # Its own run id: its databases are its own, dropped when it ends.
    env = {key: value for key, value in os.environ.items() if key != "SEMINAR_TEST_RUN"}
    env["FAIL_ON_SKIP"] = "1"  # a test skipped here was not shown to hold under load
    LOG.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *targets]
    lines: list[str] = []
    with (
        LOG.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as tests,
    ):
        watchdog = threading.Timer(RUN_WITHIN, _stop_tests, args=(tests,))
        watchdog.start()
        try:
            assert tests.stdout is not None
            for line in tests.stdout:
                lines.append(line)
                log.write(line)
                log.flush()
                sys.stdout.write(line)
            return tests.wait(), "".join(lines)
        finally:
            watchdog.cancel()
            if tests.poll() is None:  # this test was interrupted: so is the run it started
                _stop_tests(tests)


@pytest.mark.under_load
def test_timing_sensitive_tests_pass_with_every_core_busy():
    if shutil.which("stress-ng") is None:
        pytest.skip("stress-ng not installed (apt-get install stress-ng)")
    targets = os.environ.get("UNDER_LOAD_TESTS", "").split() or list(TIMING_SENSITIVE)
    cores = os.cpu_count() or 2
    stress = _busy(cores)
    try:
        # stress-ng forks its workers: the tests begin once they are all there.
        assert wait_until(lambda: len(_children(stress.pid)) >= cores, timeout=30), _stop(stress)
        started = time.monotonic()
        returncode, output = _run_tests(targets)
        took = time.monotonic() - started
        still_busy = stress.poll() is None
        load = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        metrics = _stop(stress)
    summaries = [m.group("summary") for m in map(SUMMARY.match, output.splitlines()) if m]
    summary = summaries[-1] if summaries else f"no closing line (stopped at {RUN_WITHIN:.0f} s?)"
    report = (
        f"under load (stress-ng --cpu {cores}): {summary} in {took:.0f} s, "
        f"load average {' '.join(load)}; the run's output is in {LOG.relative_to(ROOT)}"
    )
    print(f"\n{report}\n{metrics}")
    assert still_busy, f"stress-ng ended before the tests did:\n{metrics}"
    assert returncode == 0, report
    assert re.search(r"\d+ passed", summary), report
    assert not re.search(r"failed|error|skipped", summary), report
