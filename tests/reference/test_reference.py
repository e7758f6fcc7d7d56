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
