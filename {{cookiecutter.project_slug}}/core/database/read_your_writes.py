"""Reads that follow a write in the same request go to the primary, so they see the write.

A replica applies the primary's writes a moment later; a request that saves a row and then
reads it (a redirect target, a serializer reloading a relation, a count) would otherwise read
the row as it was. ReadYourWritesMiddleware opens one scope per request; the router notes each
write in the current scope and sends the scope's later reads to the primary. Outside any scope
(a background task, a management command), a write sends the rest of that thread's reads to the
primary: correct, if it spares the replica less.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_wrote: ContextVar[bool] = ContextVar("wrote_to_primary", default=False)


@contextmanager
def read_your_writes() -> Iterator[None]:
    """A scope that starts with no write; what it notes ends with it."""
    token = _wrote.set(False)
    try:
        yield
    finally:
        _wrote.reset(token)


def note_write() -> None:
    _wrote.set(True)


def wrote() -> bool:
    """Whether the current scope has written to the primary."""
    return _wrote.get()
