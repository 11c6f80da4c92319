"""Files memspan creates are readable by their owner only: 0600 files in 0700 folders.

Memories are personal data; on a shared machine a world-readable ``~/.memspan`` would hand them to
every other account. Only what memspan creates is set: an existing file or folder keeps the mode its
owner gave it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700."""
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            new.mkdir(mode=FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an empty file is a valid SQLite
    database, and SQLite gives the ``-wal`` and ``-shm`` files it creates the same mode)."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
