"""The lists' search index (PostgreSQL): a ``search_vector`` of character bigrams on needs and
capabilities, the SQL functions that build vectors and queries alike, the vectors of the rows
already there, and GIN indexes. SQLite gets the (always NULL) columns only: its search reads
the text. See ``scenarios.services.search``."""

import django.contrib.postgres.search
from django.db import migrations, models

# A lexeme as tsvector/tsquery text input reads it: quoted, quotes and backslashes doubled.
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION scenarios_search_lexeme(g text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT '''' || replace(replace(g, '\', '\\'), '''', '''''') || ''''
$$;

-- The distinct bigrams of the upper-cased text; the last character pairs with chr(1).
CREATE OR REPLACE FUNCTION scenarios_search_grams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY(
    SELECT c || lead(c, 1, chr(1)) OVER (ORDER BY n)
    FROM unnest(regexp_split_to_array(upper(t), '')) WITH ORDINALITY AS x(c, n)))
$$;

-- A word's query: all its bigrams; one character: any bigram starting with it.
CREATE OR REPLACE FUNCTION scenarios_search_query(w text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN char_length(u) = 1 THEN (scenarios_search_lexeme(u) || ':*')::tsquery
    ELSE (
      SELECT string_agg(DISTINCT scenarios_search_lexeme(g), ' & ')
      FROM (
        SELECT c || lead(c) OVER (ORDER BY n) AS g
        FROM unnest(regexp_split_to_array(u, '')) WITH ORDINALITY AS x(c, n)
      ) grams
      WHERE g IS NOT NULL
    )::tsquery
  END
  FROM (SELECT upper(w) AS u) word
$$;
"""
# The same expression as scenarios.services.search.VECTOR_SQL, frozen here.
VECTOR_SQL = (
    "scenarios_search_grams(concat_ws(chr(1), title, description, ref, keywords::text, "
    "array_to_string(ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(keywords) "
    "= 'array' THEN keywords ELSE '[]'::jsonb END)), chr(1)), ''))"
)
TABLES = {"need": "scenarios_scenarioneed", "capability": "scenarios_capability"}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for prefix, table in TABLES.items():
        schema_editor.execute(f"UPDATE {table} SET search_vector = {VECTOR_SQL}")
        schema_editor.execute(
            f"CREATE INDEX {prefix}_search_vector ON {table} USING gin (search_vector)"
        )
        schema_editor.execute(f"ANALYZE {table}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for prefix in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {prefix}_search_vector")
    for name in ("query(text)", "grams(text)", "lexeme(text)"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS scenarios_search_{name}")


class Migration(migrations.Migration):

    dependencies = [
        ("scenarios", "0013_import_job_update"),
    ]

    operations = [
        migrations.AddField(
            model_name="capability",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="scenarioneed",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="capability",
            index=models.Index(
                condition=models.Q(("search_vector__isnull", True)),
                fields=["id"],
                name="capability_search_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="scenarioneed",
            index=models.Index(
                condition=models.Q(("search_vector__isnull", True)),
                fields=["id"],
                name="need_search_pending",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
