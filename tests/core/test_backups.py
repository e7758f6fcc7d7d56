"""Backups restore into a fresh database with every row and audit entry; audit rows cannot be
changed or deleted through the app."""

import os
import sqlite3
import uuid
from pathlib import Path

import psycopg
import psycopg.conninfo
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from activity.models import AuditEvent
from core.backups import BackupError, backup_database, restore_database
from scenarios.services.capabilities import capability_submit
from tests.scenarios.helpers import make_capability, make_need


def _pg_conninfo(name: str) -> str:
    s = connection.settings_dict
    options = {"dbname": name, "host": s.get("HOST"), "port": s.get("PORT"), "user": s.get("USER")}
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in options.items() if v})


def _tables_and_counts(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    names = [r[0] for r in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 (catalog names)
        counts[name] = cursor.fetchone()[0]
    return counts


AUDIT_COLUMNS = "id, actor_id, action, target_type, target_id, from_state, to_state, reason"


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_every_row_and_audit_entry(
    reference, tmp_path, agency, firm, firm_user
):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump/pg_restore: the SQLite path has its own test")
    make_need(agency, region="360102")
    capability_submit(actor=firm_user, capability=make_capability(firm))
    assert AuditEvent.objects.count() >= 3
    dump = tmp_path / "site.dump"
    fresh = f"restore_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(_pg_conninfo("postgres"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        call_command("backup", str(dump))
        target = {**connection.settings_dict, "NAME": fresh}
        restore_database(target, dump, replace=False)

        with connection.cursor() as cursor:
            before = _tables_and_counts(cursor)
            cursor.execute(f"SELECT {AUDIT_COLUMNS} FROM scenarios_auditevent ORDER BY id")  # noqa: S608
            audit_before = cursor.fetchall()
        with psycopg.connect(_pg_conninfo(fresh)) as restored, restored.cursor() as cursor:
            after = _tables_and_counts(cursor)
            cursor.execute(f"SELECT {AUDIT_COLUMNS} FROM scenarios_auditevent ORDER BY id")  # noqa: S608
            audit_after = cursor.fetchall()

        assert after == before  # every table, every row
        assert sum(before.values()) > 3000  # the reference data came along too
        assert audit_after == audit_before
        with pytest.raises(BackupError, match="not empty"):  # never over a live database
            restore_database(target, dump, replace=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        admin.close()


def test_sqlite_backup_and_restore_round_trip(tmp_path):
    live = tmp_path / "db.sqlite3"
    with sqlite3.connect(live) as db:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    dump = tmp_path / "copy.sqlite3"
    settings_dict = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(live)}

    backup_database(settings_dict, dump)
    fresh = tmp_path / "fresh.sqlite3"
    restore_database({**settings_dict, "NAME": str(fresh)}, dump, replace=False)

    with sqlite3.connect(fresh) as db:
        assert db.execute("SELECT count(*), sum(x) FROM t").fetchone() == (100, 4950)
    with pytest.raises(BackupError, match="not empty"):
        restore_database({**settings_dict, "NAME": str(fresh)}, dump, replace=False)
    with pytest.raises(BackupError, match="not a PostgreSQL"):
        restore_database(
            {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}, dump, replace=False
        )


def test_a_failed_backup_leaves_no_file_under_its_name(tmp_path, monkeypatch):
    live = tmp_path / "db.sqlite3"
    sqlite3.connect(live).close()
    target = tmp_path / "backup.sqlite3"

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(BackupError, match="No space left"):
        backup_database({"ENGINE": "django.db.backends.sqlite3", "NAME": str(live)}, target)

    assert list(tmp_path.iterdir()) == [live]  # neither the file nor a partial one


def test_a_backup_that_fills_the_disk_keeps_the_previous_one_and_says_why(tmp_path, monkeypatch):
    # given: yesterday's backup, and a pg_dump that runs out of space half way through
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'for a; do case "$a" in --file=*) printf PGDMP-half > "${a#--file=}";; esac; done\n'
        'echo "pg_dump: error: could not write to output file: No space left on device" >&2\n'
        "exit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    backups = tmp_path / "backups"
    backups.mkdir()
    target = backups / "site.dump"
    target.write_bytes(b"PGDMP yesterday")

    # when
    with pytest.raises(CommandError) as failure:
        call_command("backup", str(target), "--force")

    # then: one line from pg_dump; yesterday's backup as it was, no partial file beside it
    assert str(failure.value) == (
        "pg_dump failed: pg_dump: error: could not write to output file: No space left on device"
    )
    assert target.read_bytes() == b"PGDMP yesterday"
    assert list(backups.iterdir()) == [target]


def test_the_commands_say_what_is_wrong_in_one_line(tmp_path):
    existing = tmp_path / "there.dump"
    existing.write_bytes(b"x")
    with pytest.raises(CommandError, match="exists; pass --force"):
        call_command("backup", str(existing))
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore", str(tmp_path / "missing.dump"))
    assert Path(existing).read_bytes() == b"x"


@pytest.mark.django_db
def test_audit_rows_cannot_be_changed_or_deleted(agency):
    from django.db import DatabaseError, transaction

    from activity.models import AppendOnlyError

    make_need(agency, region="360102")
    row = AuditEvent.objects.earliest("id")

    for attempt in (
        lambda: row.save(),
        lambda: row.delete(),
        lambda: AuditEvent.objects.filter(pk=row.pk).update(reason="改写"),
        lambda: AuditEvent.objects.all().delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    if connection.vendor == "postgresql":  # and past the app, in the database itself
        for sql in (
            "UPDATE scenarios_auditevent SET reason = 'x'",
            "DELETE FROM scenarios_auditevent",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    assert AuditEvent.objects.get(pk=row.pk).reason == row.reason
