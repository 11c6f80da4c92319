"""Secrets for the command line without putting them on it.

A value given as an argument shows in ``ps`` and in shell history, so every secret option also
takes a file (``--token-file``: a mounted secret, a 0600 file) and an environment variable. The
argument wins, then the file, then the variable; giving both an argument and a file is refused.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from ..errors import ValidationError


def read_secret(value: str | None, file: str | None, env: str, option: str) -> str | None:
    """The secret from ``--option``, ``--option-file`` or ``$env``; ``None`` when none is given."""
    if value is not None and file is not None:
        raise ValidationError(f"give {option} or {option}-file, not both")
    if value is not None:
        secret = value.strip()
    elif file is not None:
        secret = _from_file(Path(file).expanduser(), f"{option}-file")
    else:
        secret = os.environ.get(env, "").strip()
        if not secret:
            return None
    if not secret:
        raise ValidationError(f"{option} is empty")
    return secret


def _from_file(path: Path, option: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{option}: cannot read {path}: {exc}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(
            f"memspan: warning: {path} can be read by other accounts; chmod 600 it",
            file=sys.stderr,
            flush=True,
        )
    secret = text.strip()
    if not secret:
        raise ValidationError(f"{option}: {path} is empty")
    return secret
