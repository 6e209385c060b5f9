"""Readiness checks: each touches one dependency and raises when it cannot be used.

settings.READINESS_CHECKS names the checks besides the databases, by dotted path.
The replica's check is optional: when it alone fails, readiness_status() answers "degraded"
with a 200, because reads fall back to the primary and every pod shares the one replica, so
failing them all would take the whole service out for a loss it survives.
run_checks() runs them side by side in threads and stops waiting after a timeout, so a dead
dependency makes /ready answer 503 quickly instead of hanging the probe. RecentResults lets a
process reuse one round of results for a moment, so a burst of probes costs the dependencies one
round of checks, not a connection each, and refreshes that round in a thread of its own before it
expires, so a steady stream of probes never waits for the checks.
"""

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache as cache_result
from functools import partial
from importlib import import_module
from threading import Lock, Thread
from time import monotonic, perf_counter
from uuid import uuid4
from weakref import WeakSet

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


@dataclass(frozen=True)
class Round:
    started: float
    results: list[CheckResult]


class RecentResults:
    """The last round of check results, reused while younger than `max_age` seconds.

    Without it every /ready opens a database connection and makes a few Redis round trips:
    about 9 ms of a worker's time, so a probe flood (several load balancers, a load test, a
    client retrying) takes the workers from real requests and churns database connections.

    A round's age counts from when its checks began, so a round served at any moment began at
    most `max_age` seconds before: an outage shows within `max_age` plus the checks' own time.
    Once a round is past REFRESH_AFTER of its age, the request that notices starts one refresh
    in a thread and is answered from the current round; so are the requests after it, until the
    new round is in. A request waits for the checks only when no round is young enough: the
    first probe, a process idle for a while, or a refresh that failed or still runs (its checks
    hang until their timeout). It then runs a round itself, and concurrent callers wait for that
    round instead of starting their own. A sync gunicorn worker serves one request at a time,
    so a request that ran the checks would hold every request queued behind it.
    """

    # A round is refreshed once this share of `max_age` has passed since it began.
    REFRESH_AFTER = 0.5

    def __init__(self, clock: Callable[[], float] = monotonic) -> None:
        self._clock = clock
        self._forget_threads()
        _instances.add(self)

    def _forget_threads(self) -> None:
        """A fresh state for the locks and the refresh flag; the last round is kept."""
        self._lock = Lock()  # guards _round and _refreshing, held only to read or swap them
        self._inline = Lock()  # one round run by a request at a time
        self._refreshing = False
        if not hasattr(self, "_round"):
            self._round: Round | None = None

    def get(self, max_age: float, run: Callable[[], list[CheckResult]]) -> list[CheckResult]:
        current = self._fresh(max_age, run)
        if current is not None:
            return current.results
        with self._inline:
            current = self._fresh(max_age, run)
            if current is None:
                current = Round(self._clock(), run())
                self._keep(current)
            return current.results

    def _fresh(self, max_age: float, run: Callable[[], list[CheckResult]]) -> Round | None:
        """The current round when it is young enough to serve; starts its refresh when due."""
        with self._lock:
            current = self._round
            if current is None:
                return None
            age = self._clock() - current.started
            if age >= max_age:
                return None
            if age >= max_age * self.REFRESH_AFTER and not self._refreshing:
                self._refreshing = True
                Thread(
                    target=self._refresh, args=(run,), name="readiness-refresh", daemon=True
                ).start()
            return current

    def _refresh(self, run: Callable[[], list[CheckResult]]) -> None:
        try:
            started = self._clock()
            self._keep(Round(started, run()))
        finally:
            with self._lock:
                self._refreshing = False

    def _keep(self, new: Round) -> None:
        """Keep `new` unless a round that began later is in already."""
        with self._lock:
            if self._round is None or new.started >= self._round.started:
                self._round = new


# Every RecentResults of the process. A forked child (a gunicorn worker) has none of its
# parent's threads: a lock one of them held would stay held, a refresh it ran would never end.
_instances: WeakSet[RecentResults] = WeakSet()


def _after_fork_in_child() -> None:
    for recent in list(_instances):
        recent._forget_threads()


os.register_at_fork(after_in_child=_after_fork_in_child)
