"""Where uploaded files wait while they are read: a private folder per upload, made by
:mod:`tempfile` (unique, mode 0700), named for the server process so that what a killed
server left behind is found and removed when the next one starts."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["PREFIX", "sweep", "upload_folder"]

PREFIX = "namgraph-upload-"


def upload_folder() -> tempfile.TemporaryDirectory[str]:
    """A new private folder for one upload, removed when the request ends."""
    return tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")


def sweep(root: Path | None = None) -> list[Path]:
    """Remove upload folders of this user left by server processes that no longer run; the
    folders removed."""
    root = root or Path(tempfile.gettempdir())
    removed: list[Path] = []
    for folder in root.glob(f"{PREFIX}*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user: alive
        return True
    return True
