import pytest

from accounts.models import Committee
from reference.models import IndustryChain, Region
from scenarios.models import PolicyVersion
from scenarios.services.setup import reference_load

pytestmark = pytest.mark.django_db


def test_regions_counts_match_the_official_list():
    counts = {
        level: Region.objects.filter(level=level).count()
        for level in ("province", "city", "county")
    }

    assert counts == {"province": 33, "city": 333, "county": 2845}


def test_regions_home_province_has_11_cities_and_100_counties():
    jiangxi = Region.objects.get(code="360000")

    inside = Region.objects.within(jiangxi)

    assert inside.filter(level="city").count() == 11
    assert inside.filter(level="county").count() == 100
    assert inside.count() == 112


def test_region_containment_county_in_city_in_province():
    province = Region.objects.get(code="360000")
    city = Region.objects.get(code="360100")
    county = Region.objects.get(code="360102")
    other_city = Region.objects.get(code="360700")

    assert county.parent == city
    assert city.parent == province
    assert province.contains(city)
    assert city.contains(county)
    assert province.contains(county)
    assert not other_city.contains(county)
    assert not county.contains(city)
    assert county.province_code == "360000"


def test_region_within_is_one_query(django_assert_num_queries):
    city = Region.objects.get(code="360100")

    with django_assert_num_queries(1):
        codes = list(Region.objects.within(city).values_list("code", flat=True))

    assert "360102" in codes
    assert "360100" in codes
    assert all(code.startswith("3601") for code in codes)


def test_region_municipality_counties_hang_from_the_province():
    dongcheng = Region.objects.get(code="110101")

    assert dongcheng.parent_id == "110000"
    assert Region.objects.get(code="110000").contains(dongcheng)


def test_chains_tree_and_synonyms():
    battery = IndustryChain.objects.get(slug="solid-state-battery")

    assert battery.path == "future/future-energy/solid-state-battery/"
    assert battery.depth == 2
    assert "全固态电池" in battery.synonyms
    future = IndustryChain.objects.get(slug="future")
    assert IndustryChain.objects.within(future).filter(slug="bci").exists()
    assert not IndustryChain.objects.within(future).filter(slug="low-altitude").exists()


def test_committees_one_per_home_region_with_tier():
    committees = Committee.objects.select_related("region")

    assert committees.count() == 112
    assert all(c.tier == c.region.level for c in committees)
    assert Committee.objects.get(region_id="360000").tier == "province"


def test_reference_load_twice_changes_nothing():
    before = (
        Region.objects.count(),
        IndustryChain.objects.count(),
        Committee.objects.count(),
        PolicyVersion.objects.count(),
    )

    counts = reference_load()

    after = (
        Region.objects.count(),
        IndustryChain.objects.count(),
        Committee.objects.count(),
        PolicyVersion.objects.count(),
    )
    assert before == after
    assert counts.regions == 3211
    assert counts.policy_version == 1


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("吉安市", "Ji'an City"),
        ("西安市", "Xi'an City"),
        ("南昌市", "Nanchang City"),
        ("东湖区", "Donghu District"),
        ("永安市", "Yong'an City"),
        ("宁夏回族自治区", "Ningxia Hui Autonomous Region"),
    ],
)
def test_english_region_names_read_as_place_names(chinese, english):
    from reference.names import region_name_en

    assert region_name_en(chinese) == english


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        # Established names, not pinyin; 陕西 and 山西 told apart
        ("陕西省", "Shaanxi Province"),
        ("山西省", "Shanxi Province"),
        ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
        ("香港特别行政区", "Hong Kong SAR"),
        ("澳门特别行政区", "Macao SAR"),
        ("库尔勒市", "Korla City"),
        ("阿图什市", "Artux City"),
        # 林区 is a level in 神农架林区 only
        ("碑林区", "Beilin District"),
        ("万柏林区", "Wanbailin District"),
        ("神农架林区", "Shennongjia Forestry District"),
        # Place-name readings of polyphones
        ("长治市", "Changzhi City"),
        ("长子县", "Zhangzi County"),
        ("朝阳区", "Chaoyang District"),
        ("都昌县", "Duchang County"),
        ("于都县", "Yudu County"),
        ("宁都县", "Ningdu County"),
        ("成都市", "Chengdu City"),
        # The peoples of an autonomous area
        ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
        ("延边朝鲜族自治州", "Yanbian Korean Autonomous Prefecture"),
        ("湘西土家族苗族自治州", "Xiangxi Tujia and Miao Autonomous Prefecture"),
        ("伊犁哈萨克自治州", "Ili Kazak Autonomous Prefecture"),
        (
            "积石山保安族东乡族撒拉族自治县",
            "Jishishan Bonan, Dongxiang and Salar Autonomous County",
        ),
        ("东乡族自治县", "Dongxiang Autonomous County"),
    ],
)
def test_english_region_names_use_established_names_and_place_readings(chinese, english):
    from reference.names import region_name_en

    assert region_name_en(chinese) == english


def test_english_names_of_the_home_province_are_its_place_names():
    """Every region of Jiangxi (36xxxx), read through once: no two share an English name,
    and the ones pypinyin reads wrong are right."""
    from reference.names import region_name_en

    rows = Region.objects.filter(code__startswith="36").values_list("code", "name")
    names = {code: region_name_en(name) for code, name in rows}

    assert len(names) == 112
    assert len(set(names.values())) == len(names)
    assert names["360428"] == "Duchang County"
    assert names["360730"] == "Ningdu County"
    assert names["360731"] == "Yudu County"
    assert names["361124"] == "Yanshan County"  # 铅山
    assert names["360281"] == "Leping City"
    assert names["360800"] == "Ji'an City"


def test_no_two_provinces_share_an_english_name():
    from reference.names import region_name_en

    provinces = Region.objects.filter(level="province").values_list("name", flat=True)

    names = [region_name_en(name) for name in provinces]
    assert len(set(names)) == len(names) == 33
