"""Running commands: one-off ones that must succeed, and logged background processes.

run() runs a command to completion and fails the test with its output when it does not succeed.
LoggedProcess runs a long-lived one (gunicorn, a Celery worker, the frontend) through mirakuru,
in a session of its own, its output in a log file; stopping it also ends every process it
started, which mirakuru finds by an environment marker. Every LoggedProcess started during a
test joins LIVE, so a failing test's report carries their logs (see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest
from mirakuru import SimpleExecutor
from mirakuru.base import ENV_UUID
from mirakuru.exceptions import ProcessFinishedWithError

Command = Sequence[str | Path]


def tail(text: str | bytes | None, lines: int = 200) -> str:
    """The last lines of a process's output: enough to diagnose, short enough to read."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def describe_result(result: subprocess.CompletedProcess[str], cwd: Path | None = None) -> str:
    """Command, exit status and both output streams, for assertion messages."""
    command = " ".join(str(part) for part in result.args)
    where = f" (in {cwd})" if cwd else ""
    return (
        f"$ {command}{where}\nexit status {result.returncode}\n"
        f"--- stdout ---\n{tail(result.stdout)}\n--- stderr ---\n{tail(result.stderr)}"
    )


def fail(message: str) -> NoReturn:
    """Fail the test with `message` alone: the traceback of a helper says nothing more."""
    pytest.fail(message, pytrace=False)


def run(
    command: Command,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `command` to completion with no stdin; with check, a failure fails the test."""
    args = [str(part) for part in command]
    try:
        result = subprocess.run(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        fail(
            f"$ {' '.join(args)} timed out after {timeout}s\n"
            f"--- stdout ---\n{tail(exc.stdout)}\n--- stderr ---\n{tail(exc.stderr)}"
        )
    if check and result.returncode != 0:
        fail(describe_result(result, cwd))
    return result


class _Executor(SimpleExecutor):
    """mirakuru's executor with exactly the environment it is given.

    mirakuru adds its variables to this process's own environment; a bake's processes must see
    only what Bake.env() lets through, plus the marker that finds their children.
    """

    def __init__(self, command: list[str], env: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self._environment = dict(env)

    @property
    def envvars(self) -> dict[str, str]:
        return {**self._environment, ENV_UUID: self._uuid}


# Background processes of the current test: running ones, and those stopped during it (kept
# until its teardown so a failure's report can still show what they printed).
LIVE: list[LoggedProcess] = []


class LoggedProcess:
    """A background process whose output goes to log_dir/<name>.log; a context manager."""

    def __init__(
        self,
        name: str,
        command: Command,
        log_dir: Path,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str],
        stop_timeout: float = 20,
    ) -> None:
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log_file = self.log_path.open("ab")
        self._executor = _Executor(
            [str(part) for part in command],
            env,
            cwd=str(cwd) if cwd else None,
            timeout=stop_timeout,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> LoggedProcess:
        self._executor.start()
        LIVE.append(self)
        return self

    @property
    def process(self) -> subprocess.Popen[str]:
        process = self._executor.process
        if process is None:
            fail(f"{self.name} is not running")
        return process

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self._executor.running()

    def log(self) -> str:
        """Everything the process printed so far (stdout and stderr interleaved)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self, sig: int) -> None:
        """Send `sig` to the whole process group and wait for the process to end."""
        self._executor.kill(sig=sig)

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after the stop timeout, then any leftovers."""
        # A non-zero exit at teardown tells nothing that the log does not.
        with contextlib.suppress(ProcessFinishedWithError):
            self._executor.stop()
        self._log_file.close()

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 60, what: str = "ready"
    ) -> None:
        """Poll `predicate` until true; fail with the log if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self._executor.process.returncode if self._executor.process else None
                fail(
                    f"{self.name} exited with {code} before it was {what}\n"
                    f"--- {self.name} log ---\n{tail(self.log())}"
                )
            # Not ready yet, whatever the predicate raised.
            with contextlib.suppress(Exception):
                if predicate():
                    return
            time.sleep(0.25)
        fail(
            f"{self.name} was not {what} within {timeout}s\n"
            f"--- {self.name} log ---\n{tail(self.log())}"
        )

    def __enter__(self) -> LoggedProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, log: str = "") -> None:
    """Poll `predicate` until it is true; fail, with `log`, if it is not within `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # not yet, whatever the predicate raised
            if predicate():
                return
        time.sleep(0.1)
    fail(f"not {what} within {timeout}s\n{tail(log)}")
