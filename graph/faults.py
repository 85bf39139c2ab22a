"""Fault-injection points, for the tests of crashes and of many users at once.

With ``NAM_TEST_PAUSE_MID_APPLY=SECONDS`` in the environment, a store that is applying a
change set stops halfway (Neo4j: half the statements of the transaction sent, none committed;
memory: the new file written but not yet renamed over the old one), says so on standard error
and sleeps, so that a test can send SIGKILL at that exact point. Unset, it does nothing.

:func:`pause_at` marks the other points where a concurrent write matters: ``read`` (the
embedded store has opened its file and not yet read it), ``plan-read`` (a reshuffle plan has
diffed the file against the graph and not yet taken the digest of what it read) and
``plan-preview`` (it has its digest and is about to preview), ``scope-view`` (the embedded
store has made a scoped view and not yet kept it), ``mid-apply`` (where the pause above is),
``mid-change`` (the embedded store has changed half the assignments of a change set in
memory), ``read-done`` (an API request has one answer from the store and may ask it more).
A process pauses there with ``NAM_TEST_PAUSE_AT=POINT:SECONDS[,POINT:SECONDS]``; a test thread with :func:`hooked`.
With ``NAM_TEST_RELEASE=FILE`` as well, a pause ends as soon as FILE exists (SECONDS is then
the longest it waits), so a test never races the clock on a busy machine.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator

__all__ = ["MARKER", "hooked", "pause_at", "pause_mid_apply"]

_HOOKS: dict[str, Callable[[], None]] = {}

MARKER = "namgraph: paused in the middle of applying"


def pause_mid_apply() -> None:
    pause_at("mid-apply")
    seconds = os.environ.get("NAM_TEST_PAUSE_MID_APPLY")
    if not seconds:
        return
    print(MARKER, file=sys.stderr, flush=True)
    time.sleep(float(seconds))


def pause_at(point: str) -> None:
    """Pause at ``point`` when a test asked for it (see the module); else nothing."""
    hook = _HOOKS.get(point)
    if hook is not None:
        hook()
    spec = os.environ.get("NAM_TEST_PAUSE_AT")
    if not spec:
        return
    for item in spec.split(","):
        name, _, seconds = item.partition(":")
        if name == point:
            print(f"namgraph: paused at {point}", file=sys.stderr, flush=True)
            _wait(float(seconds))


def _wait(seconds: float) -> None:
    release = os.environ.get("NAM_TEST_RELEASE")
    if not release:
        time.sleep(seconds)
        return
    deadline = time.monotonic() + seconds
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)


@contextlib.contextmanager
def hooked(point: str, hook: Callable[[], None]) -> Iterator[None]:
    """Call ``hook`` whenever a thread of this process reaches ``point`` (tests only)."""
    _HOOKS[point] = hook
    try:
        yield
    finally:
        _HOOKS.pop(point, None)
