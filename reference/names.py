"""English names of administrative regions, from their Chinese names (pinyin + the level's
English word): 南昌市 → Nanchang City, 东湖区 → Donghu District. The divisions list carries
Chinese names only; pypinyin ships its dictionary in the wheel (nothing is downloaded).

pypinyin reads words as everyday Chinese, not as place names, so four things come first:
names whose English is established and not their pinyin (Inner Mongolia, Hong Kong, Shaanxi
beside Shanxi, Urumqi, Korla); places that pypinyin reads with the wrong one of a
character's readings (长治 is Changzhi, 朝阳 Chaoyang, 都昌 Duchang); the peoples named in an
autonomous area (延边朝鲜族自治州 → Yanbian Korean Autonomous Prefecture); and suffixes
that are a level only in the one name that has it (林区: 碑林区 is Beilin District, only
神农架林区 is a forestry district)."""

import functools

from pypinyin import lazy_pinyin

# Whole names whose English is not their stem's pinyin plus the level's word.
ESTABLISHED: dict[str, str] = {
    "内蒙古自治区": "Inner Mongolia Autonomous Region",
    "香港特别行政区": "Hong Kong SAR",
    "澳门特别行政区": "Macao SAR",
    "神农架林区": "Shennongjia Forestry District",
    "兴安盟": "Hinggan League",  # 兴安县 (Guangxi) is Xing'an County
}

# Proper names (the name without its level) spelled as established: the provinces whose
# pinyin collides (陕西 Shaanxi, 山西 Shanxi), names from Mongolian, Uygur and Tibetan, and
# places that keep an old or local reading.
STEMS: dict[str, str] = {
    "陕西": "Shaanxi",
    # Inner Mongolia and the northeast
    "呼和浩特": "Hohhot",
    "鄂尔多斯": "Ordos",
    "呼伦贝尔": "Hulunbuir",
    "巴彦淖尔": "Bayannur",
    "乌兰察布": "Ulanqab",
    "锡林郭勒": "Xilingol",
    "阿拉善": "Alxa",
    "二连浩特": "Erenhot",
    "满洲里": "Manzhouli",
    "哈尔滨": "Harbin",
    "齐齐哈尔": "Qiqihar",
    "大兴安岭": "Da Hinggan Ling",
    # Xinjiang
    "乌鲁木齐": "Urumqi",
    "克拉玛依": "Karamay",
    "吐鲁番": "Turpan",
    "博尔塔拉": "Bortala",
    "巴音郭楞": "Bayingolin",
    "阿克苏": "Aksu",
    "克孜勒苏": "Kizilsu",
    "喀什": "Kashgar",
    "和田": "Hotan",
    "伊犁": "Ili",
    "阿勒泰": "Altay",
    "库尔勒": "Korla",
    "阿图什": "Artux",
    "奎屯": "Kuytun",
    "霍尔果斯": "Horgos",
    "库车": "Kuqa",
    "阿拉尔": "Aral",
    "图木舒克": "Tumxuk",
    "可克达拉": "Kokdala",
    "塔什库尔干": "Taxkorgan",
    "巴里坤": "Barkol",
    "木垒": "Mori",
    "察布查尔": "Qapqal",
    "和布克赛尔": "Hoboksar",
    # Tibet and Qinghai
    "拉萨": "Lhasa",
    "日喀则": "Shigatse",
    "昌都": "Qamdo",
    "林芝": "Nyingchi",
    "那曲": "Nagqu",
    "阿里": "Ngari",
    "果洛": "Golog",
    # Old or local readings of characters
    "六安": "Lu'an",
    "六合": "Luhe",
    "单": "Shan",  # 单县
    "洪洞": "Hongtong",
    "涡阳": "Guoyang",
    "浚": "Xun",  # 浚县
    "繁峙": "Fanshi",
    "乐陵": "Laoling",
    "长子": "Zhangzi",  # the one place where 长 reads zhang
    "万柏林": "Wanbailin",
}

# Words that pypinyin reads otherwise in everyday Chinese (朝阳 zhāoyáng, the morning sun).
PHRASES: dict[str, list[str]] = {
    "朝阳": ["chao", "yang"],
}
# Characters with one reading in place names, whatever the word around them: 都 is du
# (成都, 都昌, 于都, 宁都, 丰都), 长 is chang (长治, 长汀; 长子 is in STEMS).
READINGS: dict[str, str] = {"都": "du", "长": "chang"}

# The peoples an autonomous area is named for, as its English name calls them; some names
# leave out 族 (博尔塔拉蒙古自治州, 伊犁哈萨克自治州).
PEOPLES: dict[str, str] = {
    "蒙古族": "Mongol",
    "蒙古": "Mongol",
    "回族": "Hui",
    "藏族": "Tibetan",
    "维吾尔族": "Uygur",
    "维吾尔": "Uygur",
    "苗族": "Miao",
    "彝族": "Yi",
    "壮族": "Zhuang",
    "布依族": "Bouyei",
    "朝鲜族": "Korean",
    "满族": "Manchu",
    "侗族": "Dong",
    "瑶族": "Yao",
    "白族": "Bai",
    "土家族": "Tujia",
    "哈尼族": "Hani",
    "哈萨克族": "Kazak",
    "哈萨克": "Kazak",
    "傣族": "Dai",
    "黎族": "Li",
    "傈僳族": "Lisu",
    "佤族": "Va",
    "畲族": "She",
    "拉祜族": "Lahu",
    "水族": "Sui",
    "东乡族": "Dongxiang",
    "纳西族": "Naxi",
    "景颇族": "Jingpo",
    "柯尔克孜族": "Kirgiz",
    "柯尔克孜": "Kirgiz",
    "土族": "Tu",
    "达斡尔族": "Daur",
    "仫佬族": "Mulao",
    "羌族": "Qiang",
    "布朗族": "Blang",
    "撒拉族": "Salar",
    "毛南族": "Maonan",
    "仡佬族": "Gelao",
    "锡伯族": "Xibe",
    "锡伯": "Xibe",
    "阿昌族": "Achang",
    "普米族": "Pumi",
    "塔吉克族": "Tajik",
    "塔吉克": "Tajik",
    "怒族": "Nu",
    "鄂温克族": "Ewenki",
    "鄂伦春族": "Oroqen",
    "鄂伦春": "Oroqen",
    "保安族": "Bonan",
    "裕固族": "Yugur",
    "独龙族": "Derung",
    "各族": "Multi-ethnic",
}
AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")

# Longest first: 自治县 before 县.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("特别行政区", "SAR"),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
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
    """The English name of a region: the proper name, then its level."""
    if name in ESTABLISHED:
        return ESTABLISHED[name]
    for suffix, english in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            peoples: list[str] = []
            if suffix in AUTONOMOUS:
                stem, peoples = _peoples(stem)
            words = [_place(stem)] if stem else []
            if peoples:
                words.append(_listing(peoples))
            return " ".join([*words, english])
    return _place(name)


def _peoples(stem: str) -> tuple[str, list[str]]:
    """The stem without the peoples it ends with, and their English names in order."""
    found: list[str] = []
    while True:
        people = next((p for p in sorted(PEOPLES, key=len, reverse=True) if stem.endswith(p)), None)
        if people is None:
            return stem, found
        found.insert(0, PEOPLES[people])
        stem = stem[: -len(people)]  # empty where the area is named for its people only


def _listing(words: list[str]) -> str:
    """ "Tujia and Miao", "Bonan, Dongxiang and Salar"."""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _place(stem: str) -> str:
    return STEMS.get(stem) or _pinyin(stem)


def _syllables(text: str) -> list[str]:
    """Place-name readings: a listed phrase as listed, the listed characters as listed,
    the rest as pypinyin reads them."""
    for phrase, readings in PHRASES.items():
        if phrase in text:
            before, after = text.split(phrase, 1)
            return [*_syllables(before), *readings, *_syllables(after)]
    syllables = lazy_pinyin(text)
    if len(syllables) != len(text):  # not all Chinese: pypinyin kept other runs whole
        return syllables
    return [READINGS.get(ch, syllable) for ch, syllable in zip(text, syllables, strict=True)]


def _pinyin(text: str) -> str:
    """Syllables joined as place names are written: an apostrophe before a syllable that
    starts with a, o or e (吉安 → Ji'an, 西安 → Xi'an), so the name reads unambiguously."""
    syllables = _syllables(text)
    joined = syllables[0] if syllables else ""
    for syllable in syllables[1:]:
        joined += ("'" if syllable[:1] in ("a", "o", "e") else "") + syllable
    return joined.capitalize()
