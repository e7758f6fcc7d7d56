"""A small published province built through the services: three needs of one agency,
five capabilities of three firms, and a way to run matching over it in this process."""

from matching.models import MatchRun
from matching.services import results, runs
from reference.models import Region
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_create
from tests import factories
from tests.scenarios.helpers import make_capability

NEEDS = [
    (
        "城市内涝积水智能监测预警",
        "在易涝点部署液位监测与预警平台，开放排水管网数据。",
        ["digital-city"],
        ["积水监测", "物联网"],
        "360102",
    ),
    (
        "低空物流无人机配送试点",
        "开放医院间航线，验证多旋翼无人机即时配送血液样本。",
        ["unmanned-low-altitude"],
        ["无人机配送", "航线规划"],
        "360102",
    ),
    (
        "固态电池储能电站安全验证",
        "提供储能电站场地，验证固态电池热失控防护与寿命。",
        ["solid-state-battery"],
        ["固态电解质", "热失控"],
        "360102",
    ),
]
CAPS = [
    (
        "排水管网液位感知与内涝预警系统",
        "超声波液位计与水动力模型实时监测管网、提前预警积水。",
        ["digital-city"],
        ["液位传感", "城市内涝"],
    ),
    (
        "多旋翼无人机即时配送系统",
        "eVTOL与多旋翼无人机城市低空物流配送，含航线规划与调度。",
        ["unmanned-low-altitude", "low-altitude"],
        ["低空物流", "无人机"],
    ),
    (
        "硫化物全固态电池电芯",
        "高安全全固态电池，固态电解质抑制热失控，适用储能电站。",
        ["solid-state-battery"],
        ["全固态电池", "储能"],
    ),
    (
        "陶瓷文创数字化设计平台",
        "面向景德镇陶瓷企业的文创设计与数字化营销服务。",
        ["ceramics"],
        ["陶瓷", "文创"],
    ),
    (
        "城市数字孪生底座",
        "城市信息模型与数字孪生平台，支撑城市大脑与排水运行监测。",
        ["digital-city"],
        ["数字孪生", "城市大脑"],
    ),
]


def publish_need(agency, *, title, description, chains, keywords, region):
    """A need created directly as published (the trusted-import path), then audited."""
    return need_create(
        actor=None,
        agency=agency,
        status="published",
        title=title,
        description=description,
        category="social_governance",
        chains=chains,
        keywords=keywords,
        region=Region.objects.get(code=region),
        validation_type="technology",
        min_trl=5,
    )


def build_province(agency):
    """Three published needs of ``agency`` and five published capabilities of three firms."""
    firms = [
        factories.FirmFactory.create(region=Region.objects.get(code=c))
        for c in ("360102", "360111", "440305")
    ]
    needs = [
        publish_need(agency, title=t, description=d, chains=c, keywords=k, region=r)
        for t, d, c, k, r in NEEDS
    ]
    caps = []
    for i, (t, d, c, k) in enumerate(CAPS):
        cap = make_capability(
            firms[i % 3], title=t, description=d, chains=c, keywords=k, capacity=2
        )
        caps.append(capability_submit(actor=None, capability=cap))
    return {"needs": needs, "caps": caps, "firms": firms, "agency": agency}


def run_inline(run: MatchRun) -> MatchRun:
    """Execute a run in this process, like a worker would (chunks in order)."""
    runs.match_run_execute(run_id=run.pk)
    run.refresh_from_db()
    for number in range(run.chunk_count if run.chunk_count > 1 else 0):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    results.match_run_finish(run_id=run.pk)
    run.refresh_from_db()
    return run
