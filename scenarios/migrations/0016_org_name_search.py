"""A capability's search vector holds its firm's name too (PostgreSQL), so a search for a word
of a firm's name finds its capabilities through the search index like any other word,
instead of through a list of the firms' keys (20,000 ids for 有限公司, which the planner
cannot estimate). Rewrites every capability's vector: run ``VACUUM (ANALYZE)
scenarios_capability`` after it on a large database. See ``scenarios.services.search``."""

from django.db import migrations

# scenarios.services.search.VECTOR_SQL[Capability], frozen here; without the firm's name as
# in 0014_search_vectors for the way back.
TEXT_SQL = (
    "concat_ws(chr(1), title, description, ref, keywords::text, "
    "array_to_string(ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(keywords) "
    "= 'array' THEN keywords ELSE '[]'::jsonb END)), chr(1)){text}, '')"
)
WITH_FIRM = TEXT_SQL.format(
    text=', (SELECT firm.name FROM "scenarios_organization" firm WHERE firm.id = firm_id)'
)
WITHOUT_FIRM = TEXT_SQL.format(text="")


def _rewrite(schema_editor, text_sql):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"UPDATE scenarios_capability SET search_vector = scenarios_search_grams({text_sql})"
    )
    schema_editor.execute("ANALYZE scenarios_capability")


def forward(apps, schema_editor):
    _rewrite(schema_editor, WITH_FIRM)


def backward(apps, schema_editor):
    _rewrite(schema_editor, WITHOUT_FIRM)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_verified_claims"),
        ("scenarios", "0015_list_order_indexes"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
