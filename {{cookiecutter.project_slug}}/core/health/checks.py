"""Readiness checks: each touches one dependency and raises when it cannot be used.

settings.READINESS_CHECKS names the checks besides the databases, by dotted path.
The replica's check is optional: when it alone fails, readiness_status() answers "degraded"
with a 200, because reads fall back to the primary and every pod shares the one replica, so
failing them all would take the whole service out for a loss it survives.
run_checks() runs them side by side in threads and stops waiting after a timeout, so a dead
dependency makes /ready answer 503 quickly instead of hanging the probe. RecentResults lets a
process reuse one round of results for a moment, so a burst of probes costs the dependencies one
round of checks, not a connection each.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache as cache_result
from functools import partial
from importlib import import_module
from threading import Lock
from time import monotonic, perf_counter
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connections
from django.utils.module_loading import import_string

from core.database.replica import replication_lag
from core.database.router import REPLICA
from core.metrics import REPLICA_LAG

Check = Callable[[], None]
# Checks whose failure leaves the service able to serve: /ready says "degraded", still 200.
OPTIONAL_CHECKS = frozenset({f"database:{REPLICA}"})


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {
            "status": "ok" if self.ok else "error",
            "latency_ms": self.latency_ms,
        }
        if self.error:
            result["error"] = self.error
        return result


class CacheRoundTripError(Exception):
    """The cache accepted a value but did not give it back."""


class ReplicaLagging(Exception):
    """The replica is further behind the primary than DATABASE_REPLICA_MAX_LAG_SECONDS."""


def check_database(alias: str) -> None:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # Checks run in short-lived threads: close the thread's connection with it.
        connections[alias].close()


def check_replica(alias: str = REPLICA) -> None:
    """The replica answers and is within DATABASE_REPLICA_MAX_LAG_SECONDS of the primary."""
    try:
        lag = replication_lag(connections[alias])
    finally:
        connections[alias].close()
    if lag is None:
        return
    REPLICA_LAG.labels(alias=alias).set(lag)
    if lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        raise ReplicaLagging


def check_cache() -> None:
    key, value = f"readiness:{uuid4().hex}", uuid4().hex
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise CacheRoundTripError
    finally:
        cache.delete(key)


@cache_result
def load_client_modules() -> None:
    """Import, once and in one thread, the client modules that the checks would load lazily.

    Two threads importing the same modules at once can fail with ImportError or
    _DeadlockError, which would report a healthy dependency as down. A check's module may
    define load_client_modules() too; registered_checks() calls it here, in the caller's thread.
    """
    caches["default"].client  # type: ignore[attr-defined]  # noqa: B018 - django-redis client
    for path in settings.READINESS_CHECKS.values():
        module_path = path.rpartition(".")[0]
        if module_path != __name__:
            loader = getattr(import_module(module_path), "load_client_modules", None)
            if loader is not None:
                loader()


def registered_checks() -> dict[str, Check]:
    """Every database alias and each check named in settings.READINESS_CHECKS."""
    load_client_modules()
    checks: dict[str, Check] = {
        f"database:{alias}": partial(check_replica if alias == REPLICA else check_database, alias)
        for alias in settings.DATABASES
    }
    for name, path in settings.READINESS_CHECKS.items():
        checks[name] = import_string(path)
    return checks


def readiness_status(results: list[CheckResult]) -> tuple[str, int]:
    """The body's status and the HTTP status: ok, degraded (optional checks failing), unavailable."""
    failing = {result.name for result in results if not result.ok}
    if not failing:
        return "ok", 200
    if failing <= OPTIONAL_CHECKS:
        return "degraded", 200
    return "unavailable", 503


def _timed(name: str, check: Check) -> CheckResult:
    started = perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        # Only the exception's type: its message may hold host names or credentials.
        return CheckResult(name, False, _elapsed_ms(started), type(exc).__name__)
    return CheckResult(name, True, _elapsed_ms(started))


def _elapsed_ms(started: float) -> float:
    return round((perf_counter() - started) * 1000, 2)


def run_checks(checks: dict[str, Check], timeout: float) -> list[CheckResult]:
    """Run every check at once; one still running after `timeout` seconds counts as failed."""
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readiness")
    started = perf_counter()
    futures = {name: executor.submit(_timed, name, check) for name, check in checks.items()}
    results = []
    for name, future in futures.items():
        remaining = max(0.0, timeout - (perf_counter() - started))
        try:
            results.append(future.result(timeout=remaining))
        except FutureTimeout:
            results.append(CheckResult(name, False, _elapsed_ms(started), "Timeout"))
    # Do not wait for a hung check; its thread ends when its own socket timeout fires.
    executor.shutdown(wait=False, cancel_futures=True)
    return results


class RecentResults:
    """The last round of check results, reused while younger than `max_age` seconds.

    Without it every /ready opens a database connection and makes a few Redis round trips:
    about 9 ms of a worker's time, so a probe flood (several load balancers, a load test, a
    client retrying) takes the workers from real requests and churns database connections.
    Concurrent callers wait for the round in progress instead of starting their own.
    """

    def __init__(self) -> None:
        self._lock = Lock()
        self._taken_at = 0.0
        self._results: list[CheckResult] | None = None

    def get(self, max_age: float, run: Callable[[], list[CheckResult]]) -> list[CheckResult]:
        with self._lock:
            if self._results is None or monotonic() - self._taken_at >= max_age:
                self._results = run()
                self._taken_at = monotonic()
            return self._results
