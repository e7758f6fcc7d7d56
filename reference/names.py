"""English names of administrative regions, from their Chinese names (pinyin + the level's
English word): 南昌市 → Nanchang City, 东湖区 → Donghu District. The divisions list carries
Chinese names only; pypinyin ships its dictionary in the wheel (nothing is downloaded)."""

import functools

from pypinyin import lazy_pinyin

# Longest first: 自治县 before 县.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("特别行政区", "SAR"),
    ("维吾尔自治区", "Uygur Autonomous Region"),
    ("壮族自治区", "Zhuang Autonomous Region"),
    ("回族自治区", "Hui Autonomous Region"),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("林区", "Forest District"),
    ("地区", "Prefecture"),
    ("新区", "New Area"),
    ("省", "Province"),
    ("市", "City"),
    ("县", "County"),
    ("区", "District"),
    ("盟", "League"),
    ("旗", "Banner"),
)


@functools.lru_cache(maxsize=4096)
def region_name_en(name: str) -> str:
    """The English name of a region: pinyin of the proper name, then its level."""
    for suffix, english in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return f"{_pinyin(stem)} {english}"
    return _pinyin(name)


def _pinyin(text: str) -> str:
    """Syllables joined as place names are written: an apostrophe before a syllable that
    starts with a, o or e (吉安 → Ji'an, 西安 → Xi'an), so the name reads unambiguously."""
    syllables = lazy_pinyin(text)
    joined = syllables[0] if syllables else ""
    for syllable in syllables[1:]:
        joined += ("'" if syllable[:1] in ("a", "o", "e") else "") + syllable
    return joined.capitalize()
