"""Files written whole or not at all: exports and backups never leave a half file.

The content goes to a temporary file beside the target (same directory, so the same file
system), is flushed to disk, and only then renamed over the target, which is atomic: a
reader sees the previous file or the new one, never a mix. A full disk, a read-only
directory or a killed process leaves the previous file as it was and no temporary file
behind (a killed process may leave a ``.<name>.<random>.partial``, never the target).
"""

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A new, empty temporary file beside ``target`` for the caller (or a program it runs) to
    write; when the block ends without error the file is fsynced and renamed over
    ``target``, then the directory is fsynced. On any error the temporary file is removed,
    ``target`` is untouched and the error propagates (``OSError`` for the disk's own:
    ``ENOSPC``, ``EACCES``, a missing directory).

    The file is created with the process's umask, like any file it would write directly.
    """
    target = Path(target)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` all or nothing (``atomic_path``)."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def os_error_line(error: OSError) -> str:
    """The system's words for a file error, on one line ("No space left on device")."""
    return " ".join((error.strerror or str(error)).split())


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable. Best effort: the new file is already complete under
    its name, and some file systems refuse to sync a directory."""
    with contextlib.suppress(OSError):
        _fsync(directory)
