"""Backups of the whole database and their restore.

PostgreSQL: ``pg_dump`` in its custom format (compressed, every table, sequence and index,
restorable table by table) and ``pg_restore`` in one transaction, so a failed restore leaves
the target as it was. SQLite (the embedded default): SQLite's online backup, a consistent copy
even while the service writes. A backup is written beside its final name, flushed to disk and
renamed when complete (``core.files``), so a full disk or a killed process never leaves a
half file under that name.
"""

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from core.files import atomic_path, os_error_line

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in one line."""


def _vendor(settings_dict: dict[str, Any]) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"backups support PostgreSQL and SQLite, not {engine}")


def _pg_args(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args: list[str] = []
    env = dict(os.environ)
    if settings_dict.get("HOST"):
        args += ["-h", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # The command is built here from settings, never from request input.
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{command[0]} failed: {last}")


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def backup_database(settings_dict: dict[str, Any], target: Path) -> str:
    """Write the database named by ``settings_dict`` to ``target``; return a summary line.

    All or nothing (``core.files.atomic_path``): a failed backup leaves whatever ``target``
    held before and no partial file.
    """
    vendor = _vendor(settings_dict)
    if not target.parent.is_dir():
        raise BackupError(f"directory {target.parent} does not exist")
    try:
        with atomic_path(target) as partial:
            if vendor == "postgresql":
                args, env = _pg_args(settings_dict)
                _run(
                    [
                        "pg_dump",
                        *args,
                        "--format=custom",
                        "--no-owner",
                        "--no-privileges",
                        f"--file={partial}",
                        str(settings_dict["NAME"]),
                    ],
                    env,
                )
            else:
                _sqlite_copy(str(settings_dict["NAME"]), partial)
    except OSError as exc:  # a full disk, a read-only directory
        raise BackupError(f"cannot write {target}: {os_error_line(exc)}") from exc
    return f"backup written: {target} ({_size(target)}, {vendor})"


def _sqlite_copy(source_name: str, partial: Path) -> None:
    source = sqlite3.connect(source_name)
    copy = sqlite3.connect(str(partial))
    try:
        source.backup(copy)
    except sqlite3.Error as exc:  # "database or disk is full" among them
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        copy.close()
        source.close()


def _pg_table_count(settings_dict: dict[str, Any]) -> int:
    import psycopg

    options = {
        "dbname": settings_dict["NAME"],
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
    }
    try:
        with psycopg.connect(**{k: v for k, v in options.items() if v}) as conn:
            row = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to {settings_dict['NAME']}: {exc}") from exc
    return int(row[0]) if row else 0


def restore_database(settings_dict: dict[str, Any], source: Path, *, replace: bool) -> str:
    """Read ``source`` into the database named by ``settings_dict``.

    The target must be empty (a fresh database) unless ``replace``: then what it holds is
    dropped first, in the same transaction as the restore.
    """
    vendor = _vendor(settings_dict)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    head = _head(source)
    expected = PG_MAGIC if vendor == "postgresql" else SQLITE_MAGIC
    if not head.startswith(expected):
        kind = "PostgreSQL custom-format dump" if vendor == "postgresql" else "SQLite database"
        raise BackupError(f"{source} is not a {kind} (the configured database is {vendor})")
    name = settings_dict["NAME"]
    if vendor == "postgresql":
        if _pg_table_count(settings_dict) and not replace:
            raise BackupError(
                f"database {name} is not empty; restore into a fresh database "
                "or pass --replace to drop what it holds"
            )
        args, env = _pg_args(settings_dict)
        extra = ["--clean", "--if-exists"] if replace else []
        _run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *extra,
                f"--dbname={name}",
                str(source),
            ],
            env,
        )
    else:
        target = Path(str(name))
        if target.exists() and target.stat().st_size and not replace:
            raise BackupError(
                f"database {name} is not empty; restore into a fresh file "
                "or pass --replace to overwrite it"
            )
        backup = sqlite3.connect(str(source))
        live = sqlite3.connect(str(target))
        try:
            backup.backup(live)
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite restore failed: {exc}") from exc
        finally:
            live.close()
            backup.close()
    return f"restored {source} into {name} ({vendor})"


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(16)
