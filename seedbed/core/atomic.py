"""Write a file so that readers see the old content or the new one, never half of it."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from seedbed.core.errors import InputError


def write_atomic(
    path: str | os.PathLike[str], fill: bytes | Callable[[BinaryIO], None], mode: int = 0o644
) -> None:
    """Write `fill` (bytes, or a function that writes to the open file) to `path` atomically.

    The data goes to a temporary file in the same folder (so `os.replace` is a rename within
    one file system), is flushed to disk, then replaces `path`: a crash leaves no partial file.
    `mode` 0o600 (a key, a key share) keeps the file private from its first byte.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise InputError(f"Cannot write {target}: {err.strerror or err}.") from err
    try:
        # mkstemp creates the file 0600; a manifest or tree is meant to be shared.
        if mode != 0o600:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            if isinstance(fill, bytes):
                out.write(fill)
            else:
                fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
