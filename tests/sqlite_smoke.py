"""The embedded default, end to end: run by tests/test_sqlite.py in a fresh process against a
new SQLite file (``make run``'s database), with tasks in-process as ``make run`` has them."""

import json
import sys
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.choices import Role  # noqa: E402
from accounts.models import Organization  # noqa: E402
from accounts.services.organizations import membership_grant, organization_create  # noqa: E402
from accounts.services.users import user_create  # noqa: E402
from core.search import apply_search  # noqa: E402
from reference.models import Region  # noqa: E402
from scenarios import figures  # noqa: E402
from scenarios.models import ScenarioNeed  # noqa: E402
from scenarios.services.capabilities import capability_create, capability_submit  # noqa: E402
from scenarios.services.needs import need_create  # noqa: E402

assert connection.vendor == "sqlite", connection.vendor
settings.ALLOWED_HOSTS = ["testserver"]
call_command("migrate", verbosity=0)
call_command("load_reference", verbosity=0)
region = Region.objects.get(code="360102")
agency = organization_create(actor=None, kind="agency", name="测试数据局", region=region)
firm = organization_create(
    actor=None, kind="firm", name="测试科技有限公司", region=region, credit_code=sys.argv[1]
)
firm.verified_at = firm.created_at
firm.save(update_fields=["verified_at"])
need = need_create(
    actor=None,
    agency=agency,
    status="published",
    title="政务大模型智能问答",
    description="征集大模型问答方案，准确率不低于 90%，编号 123。",
    category="government_service",
    chains=["llm-digital-human"],
    keywords=["大模型", "OCR", "[储能]", "1,000吨"],
    region=region,
    validation_type="product",
    min_trl=6,
    budget_cny=1_800_000,
)
cap = capability_submit(
    actor=None,
    capability=capability_create(
        actor=None,
        firm=firm,
        title="政务大模型私有化部署",
        description="国产大模型私有化部署与智能客服。",
        chains=["llm-digital-human"],
        keywords=["大模型"],
        region=region,
        trl=7,
        certifications=["high_tech"],
        past_cases=[],
        capacity=2,
    ),
)
user = user_create(username="agency-user", password="Sturdy-pass-2026", email="a@example.cn")
membership_grant(actor=None, user=user, organization=agency, role=Role.AGENCY_EDITOR)

client = Client()
answers: dict[str, Any] = {}
for url in (
    "/",
    "/opportunities/",
    "/opportunities/?q=大模型",
    "/opportunities/?q=123&chain=hot-topics&region=360100&category=government_service",
    "/opportunities/?budget_min=50&budget_max=500&high_value=on&sort=budget",
    "/opportunities/export.xlsx?q=大",
    f"/opportunities/{need.ref}/",
    "/capabilities/?q=123",
    "/capabilities/?q=大模型&certification=high_tech&trl_min=5",
    f"/capabilities/{cap.ref}/",
    "/api/v1/public/needs/?search=大",
    "/api/v1/public/capabilities/?search=OCR",
    "/api/v1/public/capabilities/?certification=high_tech",
    "/api/v1/public/needs/?agency=9223372036854775808",
    "/dashboard/",
):
    answers[url] = client.get(url).status_code
client.force_login(user)
# An id beyond 64 bits in a body is refused by the serializer before any query (SQLite
# would raise OverflowError on it).
answers["POST pilot need=2**64"] = client.post(
    "/api/v1/pilots/",
    json.dumps({"need": 2**64, "capability": cap.pk, "tolerance_until": "2030-01-01"}),
    content_type="application/json",
).status_code
form = {
    "title": "新的场景需求",
    "description": "描述",
    "category": "livelihood",
    "region": "360102",
    "chains": ["digital-city"],
    "keywords": "物联网",
    "validation_type": "technology",
    "min_trl": "5",
}
answers["POST need"] = client.post("/workspace/agency/needs/new/", form).status_code
created = Organization.objects.get(pk=agency.pk).needs.get(title="新的场景需求")
answers["POST submit"] = client.post(
    f"/workspace/agency/needs/{created.ref}/submit/", {"version": str(created.version)}
).status_code
# A county member approves it in the queue: the dashboard's review times (computed without
# percentile_cont here) and the committee pages work on SQLite too.
member = user_create(username="county-member", password="Sturdy-pass-2026", email="c@example.cn")
membership_grant(
    actor=None,
    user=member,
    organization=Organization.objects.get(committee__region_id="360102"),
    role=Role.COMMITTEE_MEMBER,
)
reviewer = Client()
reviewer.force_login(member)
answers["/workspace/committee/"] = reviewer.get("/workspace/committee/").status_code
created.refresh_from_db()
answers["POST decide"] = reviewer.post(
    f"/workspace/committee/needs/{created.ref}/decide/",
    {"decision": "approved", "version": str(created.version)},
).status_code
answers["/dashboard/ (committee)"] = reviewer.get("/dashboard/").status_code
answers["review tiers"] = [(r["tier"], r["n"]) for r in figures.review_days_by_tier()]
answers["search hits"] = client.get("/opportunities/?q=大模型").content.decode().count(need.title)
# SQLite keeps JSON text with \\uXXXX escapes: keywords are searched element by element.
answers["keyword search"] = {
    word: apply_search(ScenarioNeed.objects.all(), ["keywords"], word).count()
    for word in ("储能", "[储能]", '"1,000吨"', "ocr", "u", "5", "'\"'", '","', "[")
}
print(json.dumps(answers, ensure_ascii=False))
