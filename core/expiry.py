"""Memories that expire: an ``expires_at`` on a memory, the sweep that deletes expired ones, and a
background sweeper.

Why in core and not in each adapter: LangGraph's TTL, a chat session that should be forgotten after
a week and a REST client's short-lived note are the same thing, and one store may serve all of them
at once. So expiry is a field of the memory itself. Every store applies it *inside its queries*
(get, list, search, duplicate detection), so an expired memory is invisible the moment its time
passes, whether or not anything has swept it yet, and a search's ``limit`` is never eaten by
expired rows. The sweep only makes the deletion durable: it soft-deletes what has expired, each with
a ``DELETE`` history event whose reason is ``"expired"`` (as :meth:`~memspan.Memory.delete` does),
in the store's own write transactions, so a sweep in one process is safe while others write.

Instants are compared as memspan's canonical UTC text (:func:`memspan.filters.format_timestamp`),
judged by the store's ``clock`` (the real UTC time; tests move it forward).
"""

from __future__ import annotations

import inspect
import logging
import threading
from datetime import datetime, timedelta, timezone
from enum import Enum
from types import TracebackType
from typing import Protocol

from .errors import FilterError, ValidationError
from .filters import format_timestamp, parse_timestamp

logger = logging.getLogger(__name__)

#: the reason recorded on the DELETE event a sweep writes
EXPIRED = "expired"
#: the longest time-to-live memspan accepts (about 1,000 years: later than that is "never")
MAX_TTL_SECONDS = 1000 * 366 * 24 * 3600.0
#: memories a sweep deletes per write transaction, so other writers wait at most one batch
SWEEP_BATCH = 500


class Unchanged(Enum):
    """The default of ``update(expires_at=...)``: leave the expiry as it is (``None`` clears it)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED

ExpiresAt = datetime | str | None
TTL = float | int | timedelta | None


def utc_now() -> str:
    """The current instant in the stored form: the default clock of every store."""
    return format_timestamp(datetime.now(timezone.utc))


def _seconds(ttl: object) -> float:
    if isinstance(ttl, timedelta):
        seconds = ttl.total_seconds()
    elif isinstance(ttl, (int, float)) and not isinstance(ttl, bool):
        seconds = float(ttl)
    else:
        raise ValidationError(f"ttl must be a number of seconds or a timedelta, got {type(ttl).__name__}")
    if not 0 < seconds <= MAX_TTL_SECONDS or seconds != seconds:
        raise ValidationError(f"ttl must be more than 0 seconds and at most ~1,000 years, got {ttl!r}")
    return seconds


def resolve_expiry(expires_at: object, ttl: object, now: str) -> str | None:
    """The canonical ``expires_at`` for a write from ``expires_at=`` or ``ttl=`` (seconds or a
    timedelta from ``now``), or ``None`` when neither is given.

    Both at once, a moment that is not a timestamp, or one that is not after ``now`` is a
    ValidationError: a memory that is expired before it is written is a mistake, not a memory.
    """
    if expires_at is not None and ttl is not None:
        raise ValidationError("give expires_at= or ttl=, not both")
    if ttl is not None:
        start = datetime.fromisoformat(now.replace("Z", "+00:00"))
        return format_timestamp(start + timedelta(seconds=_seconds(ttl)))
    if expires_at is None:
        return None
    if not isinstance(expires_at, (datetime, str)):
        raise ValidationError(
            f"expires_at must be a datetime or an ISO-8601 string, got {type(expires_at).__name__}"
        )
    try:
        moment = parse_timestamp(expires_at, what="expires_at")
    except FilterError as exc:
        raise ValidationError(str(exc)) from None
    if moment <= now:
        raise ValidationError(f"expires_at {moment} is not in the future (now is {now})")
    return moment


def wire_fields(expires_at: object, ttl: object) -> dict[str, object]:
    """The JSON fields that carry an expiry to the REST API (only those given; ``expires_at: null``
    on an update removes the expiry). Values are checked by the server, as every other field."""
    fields: dict[str, object] = {}
    if not isinstance(expires_at, Unchanged):
        fields["expires_at"] = expires_at.isoformat() if isinstance(expires_at, datetime) else expires_at
    if ttl is not None:
        fields["ttl"] = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    return fields


def is_expired(expires_at: str | None, now: str) -> bool:
    """Whether a memory with this ``expires_at`` is gone at ``now``."""
    return expires_at is not None and expires_at <= now


class _Sweepable(Protocol):
    def sweep_expired(self) -> int: ...


class Sweeper:
    """Calls ``memory.sweep_expired()`` every ``interval`` seconds in a daemon thread.

    Optional: expired memories are invisible without it; it only keeps the store from growing.
    A sweep that fails is logged and kept in :attr:`last_error` (the thread goes on; the next
    sweep retries), and :attr:`swept` counts what it deleted. Use it as a context manager, or
    call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, memory: _Sweepable, interval: float = 300.0):
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
            raise ValidationError(f"interval must be a positive number of seconds, got {interval!r}")
        if inspect.iscoroutinefunction(getattr(memory, "sweep_expired", None)):
            raise ValidationError(
                "Sweeper runs in a thread and needs a blocking memory (Memory or RemoteMemory), not "
                f"the awaitable {type(memory).__name__}; open a Memory on the same store for it"
            )
        self.memory = memory
        self.interval = float(interval)
        self.swept = 0
        self.sweeps = 0
        self.last_error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep_once(self) -> int:
        """One sweep now, in the caller's thread (errors raise)."""
        count = self.memory.sweep_expired()
        self.swept += count
        self.sweeps += 1
        return count

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep_once()
                self.last_error = None
            except Exception as exc:  # the thread outlives one failed sweep; the error is kept
                self.last_error = exc
                logger.warning("memspan expiry sweep failed: %s", exc)

    def start(self) -> Sweeper:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="memspan-expiry-sweeper", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the thread; ``False`` if it did not stop within ``timeout`` seconds."""
        if self._thread is None:
            return True
        self._stop.set()
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        self._thread = None
        return not alive

    def __enter__(self) -> Sweeper:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
