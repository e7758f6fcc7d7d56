"""On PostgreSQL a trigger refuses UPDATE and DELETE of audit rows, whoever sends them (the
app, the admin, a shell, a script). TRUNCATE (tests, a restore that replaces the database)
is a statement, not a row change, and stays possible for the database owner."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit rows are append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON scenarios_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_append_only ON scenarios_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    # After every migration that rewrites audit rows (scenarios 0003 moves their target types,
    # both ways): the trigger is created after them and dropped before they are reversed. A
    # later migration that must rewrite audit rows drops and recreates the trigger itself.
    dependencies = [("activity", "0001_initial"), ("scenarios", "0011_capability_holds")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
