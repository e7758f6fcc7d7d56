"""Keywords never hold control characters (tabs, newlines, \\x01…): new ones are refused by
``clean_keywords``; the rows written before that are cleaned here (each control character
becomes a space, empty and repeated keywords are dropped). The search relies on it: it looks
for a plain word in the keyword list's JSON text, where such characters would be escaped."""

import unicodedata

from django.db import migrations


def _clean(keywords):
    if not isinstance(keywords, list):
        return keywords
    cleaned = []
    for keyword in keywords:
        if isinstance(keyword, str):
            keyword = "".join(" " if unicodedata.category(c) == "Cc" else c for c in keyword)
            keyword = " ".join(keyword.split())
        if keyword and keyword not in cleaned:
            cleaned.append(keyword)
    return cleaned


def clean_keywords(apps, schema_editor):
    for name in ("ScenarioNeed", "Capability"):
        model = apps.get_model("scenarios", name)
        rows = model.objects.order_by().values_list("pk", "keywords").iterator(chunk_size=5000)
        for pk, keywords in rows:
            cleaned = _clean(keywords)
            if cleaned != keywords:
                model.objects.filter(pk=pk).update(keywords=cleaned)


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0006_phone_numbers_validated")]

    operations = [migrations.RunPython(clean_keywords, migrations.RunPython.noop)]
