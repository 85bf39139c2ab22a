"""A fault-injection point for the tests that kill a process in the middle of a write.

With ``NAM_TEST_PAUSE_MID_APPLY=SECONDS`` in the environment, a store that is applying a
change set stops halfway (Neo4j: half the statements of the transaction sent, none committed;
memory: the new file written but not yet renamed over the old one), says so on standard error
and sleeps, so that a test can send SIGKILL at that exact point. Unset, it does nothing.
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["MARKER", "pause_mid_apply"]

MARKER = "namgraph: paused in the middle of applying"


def pause_mid_apply() -> None:
    seconds = os.environ.get("NAM_TEST_PAUSE_MID_APPLY")
    if not seconds:
        return
    print(MARKER, file=sys.stderr, flush=True)
    time.sleep(float(seconds))
