"""A disk that fills up: files opened for writing under one directory take ``budget`` bytes
in all, then a write fails with ENOSPC after writing what still fit, as on a real full
file system. Reading, and files elsewhere, are untouched."""

import builtins
import errno
import io
import os
from pathlib import Path
from typing import Any


class _Budget:
    def __init__(self, size: int) -> None:
        self.left = size


class _FillingFile:
    def __init__(self, handle: Any, budget: _Budget) -> None:
        self._handle = handle
        self._budget = budget

    def write(self, data: Any) -> int:
        size = len(data.encode()) if isinstance(data, str) else memoryview(data).nbytes
        if size > self._budget.left:
            fits = self._budget.left
            self._budget.left = 0
            if fits:
                self._handle.write(data[:fits])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._budget.left -= size
        return self._handle.write(data)

    def __enter__(self) -> "_FillingFile":
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._handle.__exit__(*exc)

    def __iter__(self) -> Any:
        return iter(self._handle)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def fill_disk(monkeypatch: Any, directory: Path, budget: int = 0) -> None:
    """From now on, files written under ``directory`` share ``budget`` bytes of free space."""
    real_open = io.open
    shared = _Budget(budget)
    root = str(Path(directory).resolve())

    def opening(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        writing = any(flag in mode for flag in "wax+")
        inside = isinstance(file, str | os.PathLike) and os.path.abspath(file).startswith(root)
        return _FillingFile(handle, shared) if writing and inside else handle

    monkeypatch.setattr(io, "open", opening)
    monkeypatch.setattr(builtins, "open", opening)
