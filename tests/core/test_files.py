"""Files written whole or not at all (core.files): a full disk leaves the previous file and no
temporary one (the commands that write files: tests/core/test_backups.py,
tests/matching/test_commands.py, tests/scenarios/test_exchange.py; a real full tmpfs:
scripts/drills/full_disk.sh)."""

import errno
import os
import stat

import pytest

from core.files import atomic_path, atomic_write_bytes, os_error_line
from tests.disk import fill_disk


def test_atomic_write_replaces_the_file_whole(tmp_path):
    # given
    target = tmp_path / "list.csv"
    target.write_bytes(b"old")
    umask = os.umask(0o022)
    os.umask(umask)

    # when
    atomic_write_bytes(target, b"new content")

    # then: the new content under the name, nothing else beside it, the usual permissions
    assert target.read_bytes() == b"new content"
    assert list(tmp_path.iterdir()) == [target]
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_on_a_full_disk_keeps_the_previous_file_and_no_partial(tmp_path, monkeypatch):
    # given: room for 1 KiB, and an export of 64 KiB over an earlier one
    target = tmp_path / "list.csv"
    target.write_bytes(b"yesterday's list")
    fill_disk(monkeypatch, tmp_path, budget=1024)

    # when
    with pytest.raises(OSError, match="No space left on device") as failure:
        atomic_write_bytes(target, b"x" * 65536)

    # then
    assert failure.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"yesterday's list"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_path_when_the_flush_to_disk_fails_keeps_the_previous_file(tmp_path, monkeypatch):
    # given: the write fits in the page cache, the disk refuses it at fsync (delayed
    # allocation on a full file system)
    target = tmp_path / "backup.dump"

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)

    # when
    with pytest.raises(OSError, match="No space"), atomic_path(target) as temporary:
        temporary.write_bytes(b"all of it")

    # then
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_removes_the_partial_file_whatever_the_error(tmp_path):
    target = tmp_path / "matches.json"

    def interrupted():
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"[{")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()

    assert list(tmp_path.iterdir()) == []


def test_atomic_path_into_a_missing_directory_fails_before_writing(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "nope" / "x.csv"):
        pass

    assert list(tmp_path.iterdir()) == []


def test_os_error_line_is_the_systems_words_on_one_line():
    assert os_error_line(OSError(errno.ENOSPC, "No space left\non device")) == (
        "No space left on device"
    )
