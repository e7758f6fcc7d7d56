"""English translations: a complete, compiled catalog, and an API that answers in English.

The msgids are the Simplified Chinese texts of the code; ``locale/en/LC_MESSAGES`` holds the
English catalog (``django.po``) and its compiled form (``django.mo``, committed so that a
machine without gettext still serves English).
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import django
import pytest
import rest_framework
from django.conf import settings
from django.utils import translation

from scenarios.choices import NeedStatus
from scenarios.models import ScenarioNeed
from tests.scenarios.helpers import NEED_DEFAULTS

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
APPS = ("core", "activity", "reference", "accounts", "scenarios", "matching", "portal", "config")
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
PLACEHOLDER_RE = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%%")


# --- A tiny .po parser ---------------------------------------------------------------------


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The catalog key gettext uses: ``context\\x04msgid`` with a context, else msgid."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def po_parse(path: Path) -> list[PoEntry]:
    """Every active entry of a .po file (header included, obsolete ``#~`` entries skipped)."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgstr:
            entries.append(entry)
        entry, target = PoEntry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if entry.msgstr:
                finish()
            entry.flags.update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            if entry.msgstr:
                finish()
        elif line.startswith("msgctxt "):
            if entry.msgstr:
                finish()
            entry.msgctxt, target = _unquote(line[8:]), ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            entry.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if entry.msgstr:
                finish()
            entry.msgid, entry.line, target = _unquote(line[6:]), number, ("msgid", 0)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            entry.msgstr[index] = _unquote(line[line.index("]") + 1 :])
            target = ("msgstr", index)
        elif line.startswith("msgstr "):
            entry.msgstr[0], target = _unquote(line[7:]), ("msgstr", 0)
        elif line.startswith('"') and target is not None:
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def po_messages(path: Path = PO_PATH) -> list[PoEntry]:
    """The translatable entries: everything but the header."""
    return [e for e in po_parse(path) if e.msgid != "" or e.msgctxt is not None]


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER_RE.finditer(text))


def code_msgids() -> dict[str, str]:
    """msgid → "file:line" of every gettext call with a literal message in the project apps.

    Calls inside f-strings are left out: xgettext (makemessages) cannot extract them.
    """
    found: dict[str, str] = {}
    base = Path(settings.BASE_DIR)
    for app in APPS:
        for path in sorted((base / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            in_fstring = {
                id(node)
                for f in ast.walk(tree)
                if isinstance(f, ast.JoinedStr)
                for node in ast.walk(f)
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or id(node) in in_fstring:
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in GETTEXT_NAMES or not node.args:
                    continue
                args = node.args
                context = None
                if name.startswith("pgettext"):
                    context, args = args[0], args[1:]
                if not args or not isinstance(args[0], ast.Constant):
                    continue
                if not isinstance(args[0].value, str):
                    continue
                msgid: str = args[0].value
                if isinstance(context, ast.Constant):
                    msgid = f"{context.value!s}\x04{msgid}"
                found.setdefault(msgid, f"{path.relative_to(base)}:{node.lineno}")
    return found


# --- The catalog -----------------------------------------------------------------------------


def test_po_file_every_entry_translated():
    # given: the English catalog
    entries = po_messages()

    # when: looking for entries without a translation or still marked fuzzy
    untranslated = [
        f"line {e.line}: {e.msgid!r}"
        for e in entries
        if not all(s.strip() for s in e.msgstr.values()) or "fuzzy" in e.flags
    ]

    # then: there are translations, and every one is filled in and reviewed
    assert len(entries) > 400
    assert untranslated == []


def test_po_file_header_declares_english_utf8():
    # given: the catalog header
    header = next(e for e in po_parse(PO_PATH) if e.msgid == "" and e.msgctxt is None)

    # when: reading its fields
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)

    # then: it is an English catalog in UTF-8 and not fuzzy
    assert fields["Language"] == "en"
    assert "charset=UTF-8" in fields["Content-Type"]
    assert "fuzzy" not in header.flags


def test_po_file_placeholders_match_msgid():
    # given: the English catalog
    entries = po_messages()

    # when: comparing the %-placeholders of each source text and its translation
    mismatched = [
        f"line {e.line}: {e.msgid!r} -> {s!r}"
        for e in entries
        for i, s in e.msgstr.items()
        if placeholders(s) != placeholders(e.msgid if i == 0 else e.msgid_plural or e.msgid)
    ]

    # then: every translation keeps exactly the placeholders of its source
    assert mismatched == []


def test_po_file_translations_are_english():
    # given: the English catalog
    entries = po_messages()

    # when: looking for translations that are still the Chinese source, or mostly Chinese
    cjk = re.compile(r"[\u4e00-\u9fff]")
    chinese = [
        f"line {e.line}: {s!r}"
        for e in entries
        for s in e.msgstr.values()
        if len(cjk.findall(s)) > 2
    ]

    # then: none (a few Chinese characters are allowed, e.g. the accepted input 是/否)
    assert chinese == []


def test_po_file_covers_every_gettext_call_in_the_apps():
    # given: the literal messages of every gettext call in scenarios, matching and config
    in_code = code_msgids()

    # when: looking each one up in the catalog
    in_catalog = {e.key for e in po_messages()}
    missing = sorted(
        f"{where}: {msgid!r}" for msgid, where in in_code.items() if msgid not in in_catalog
    )

    # then: none is missing (run makemessages, translate, compilemessages)
    assert len(in_code) > 400
    assert missing == []


def test_mo_file_matches_po_file():
    # given: the compiled catalog and its source
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = po_messages()

    # when: comparing every message of both
    expected: dict[object, str] = {}
    for e in entries:
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            expected.update({(e.key, i): s for i, s in e.msgstr.items()})
    catalog = compiled._catalog  # type: ignore[attr-defined]  # gettext keeps it private
    actual = {k: v for k, v in catalog.items() if k != ""}  # the header is ""
    stale = sorted(str(k) for k in expected.keys() ^ actual.keys())
    different = sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])

    # then: the .mo is up to date (otherwise run compilemessages -l en)
    assert stale == []
    assert different == []
    assert compiled.info()["language"] == "en"


def test_mo_file_serves_english_through_django():
    # given: a message, a placeholder message, a choice label and a model name
    message = "只能操作本单位的场景需求。"

    # when: rendering them with English active, then with the default language
    with translation.override("en"):
        english = (
            translation.gettext(message),
            translation.gettext("最多 %(n)s 个。") % {"n": 5},
            str(NeedStatus.PUBLISHED.label),
            str(ScenarioNeed._meta.verbose_name),
        )
    with translation.override(settings.LANGUAGE_CODE):
        chinese = (translation.gettext(message), str(NeedStatus.PUBLISHED.label))

    # then: English comes from the catalog, Chinese is the source text
    assert english == (
        "You can only manage your own organization's scenario needs.",
        "At most 5.",
        "Published",
        "Scenario need",
    )
    assert chinese == (message, "已发布")


# --- The API ---------------------------------------------------------------------------------


def need_body(**overrides):
    """A valid need creation body (the API takes ``region_code``, not a Region)."""
    return {**NEED_DEFAULTS, "region_code": "360102", "deadline": "2027-06-30", **overrides}


@pytest.mark.django_db
def test_need_create_api_domain_error_in_english_on_request(api, firm_user):
    # given: a firm editor, who acts for no agency, and a valid need

    # when: the firm editor creates a need asking for English
    r = api.as_user(firm_user).post(
        "/api/v1/needs/", need_body(), format="json", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )

    # then: the refusal is in English, its code unchanged
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"
    assert r.json()["detail"] == "You do not act for any agency."
    assert r["Content-Language"] == "en"


@pytest.mark.django_db
def test_need_create_api_domain_error_in_chinese_by_default(api, firm_user):
    # given: a firm editor, who acts for no agency, and a valid need

    # when: the firm editor creates a need without Accept-Language
    r = api.as_user(firm_user).post("/api/v1/needs/", need_body(), format="json")

    # then: the refusal is in Simplified Chinese
    assert r.status_code == 403
    assert r.json()["detail"] == "你不代表任何发布单位。"


@pytest.mark.django_db
def test_need_create_api_field_messages_with_placeholders_in_english(api, agency_user):
    # given: an agency editor and a need in a region that does not exist
    body = need_body(region_code="999999")

    # when: the need is created in English and in Chinese
    en = api.as_user(agency_user).post(
        "/api/v1/needs/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    zh = api.post("/api/v1/needs/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then: both the summary and the interpolated field message follow the language
    assert (en.status_code, zh.status_code) == (400, 400)
    assert en.json()["detail"] == "Unknown administrative division code."
    assert en.json()["fields"] == {"region_code": ["Unknown code: 999999"]}
    assert zh.json()["detail"] == "未知的行政区划代码。"
    assert zh.json()["fields"] == {"region_code": ["未知代码：999999"]}


@pytest.mark.django_db
def test_need_create_api_outside_province_in_english(api, agency_user):
    # given: an agency editor and a need located in Beijing, outside the home province
    body = need_body(region_code="110101")

    # when: the need is created asking for English
    r = api.as_user(agency_user).post(
        "/api/v1/needs/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    # then: the refusal explains it in English
    assert r.status_code == 400
    assert r.json()["detail"] == "The scenario must be located in this province."
    assert r.json()["fields"] == {"region_code": ["Not in this province."]}


@pytest.mark.django_db
def test_need_retrieve_api_not_found_detail_follows_language(api, agency_user):
    # given: an agency editor and a need id that does not exist
    url = "/api/v1/needs/999999999/"

    # when: the need is fetched in English and by default
    en = api.as_user(agency_user).get(url, HTTP_ACCEPT_LANGUAGE="en")
    zh = api.get(url)

    # then: 404 with the detail in each language
    assert (en.status_code, zh.status_code) == (404, 404)
    assert en.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    assert zh.json() == {"code": "not_found", "detail": "未找到。", "fields": {}}


# --- Simplified Chinese overrides of third-party messages ------------------------------------

ZH_LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
ZH_PO_PATH = ZH_LOCALE_DIR / "django.po"
ZH_MO_PATH = ZH_LOCALE_DIR / "django.mo"


def third_party_msgids() -> set[str]:
    """Every msgid of Django's own catalogs and of DRF's (their English catalogs list them:
    Django ships .po files, DRF only the compiled .mo)."""
    found = {
        e.msgid
        for po in Path(django.__file__).parent.rglob("locale/en/LC_MESSAGES/django.po")
        for e in po_parse(po)
    }
    drf_mo = Path(rest_framework.__file__).parent / "locale/en/LC_MESSAGES/django.mo"
    with drf_mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    found.update(k[0] if isinstance(k, tuple) else k for k in catalog)
    return found


def test_zh_hans_overrides_are_live_third_party_msgids():
    # given: the Simplified Chinese overrides of Django's and DRF's messages
    entries = po_messages(ZH_PO_PATH)

    # when: looking each msgid up in the installed Django and DRF
    upstream = third_party_msgids()
    stale = [f"line {e.line}: {e.msgid!r}" for e in entries if e.msgid not in upstream]

    # then: each still exists (an upgrade that rewords one leaves a dead override behind)
    assert entries
    assert stale == []


def test_zh_hans_overrides_translated_with_their_placeholders():
    # given: the Simplified Chinese overrides
    entries = po_messages(ZH_PO_PATH)

    # when: checking each translation and its %-placeholders
    bad = [
        f"line {e.line}: {e.msgid!r} -> {s!r}"
        for e in entries
        for i, s in e.msgstr.items()
        if not s.strip()
        or "fuzzy" in e.flags
        or placeholders(s) != placeholders(e.msgid if i == 0 else e.msgid_plural or e.msgid)
    ]

    # then: all filled in, none fuzzy, placeholders kept
    assert bad == []


def test_zh_hans_mo_file_matches_po_file():
    # given: the compiled overrides and their source
    with ZH_MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = po_messages(ZH_PO_PATH)

    # when: comparing every message of both
    expected: dict[object, str] = {}
    for e in entries:
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            expected.update({(e.key, i): s for i, s in e.msgstr.items()})
    catalog = compiled._catalog  # type: ignore[attr-defined]  # gettext keeps it private
    actual = {k: v for k, v in catalog.items() if k != ""}

    # then: the .mo is up to date (otherwise run compilemessages -l zh_Hans)
    assert actual == expected
    assert compiled.info()["plural-forms"] == "nplurals=1; plural=0;"


def test_zh_hans_overrides_win_over_django_and_drf():
    # given: every override
    entries = po_messages(ZH_PO_PATH)

    # when: Django translates each msgid in the default language (zh-hans)
    with translation.override(settings.LANGUAGE_CODE):
        served = {
            e.msgid: (
                translation.gettext(e.msgid)
                if e.msgid_plural is None
                else translation.ngettext(e.msgid, e.msgid_plural, 8)
            )
            for e in entries
        }

    # then: ours is served, not Django's or DRF's (LOCALE_PATHS are merged last)
    assert served == {e.msgid: e.msgstr[0] for e in entries}


def test_django_auth_messages_all_translated_in_chinese():
    # given: every message of django.contrib.auth (password validators, sign-in forms),
    # read from its English catalog
    po = Path(django.__file__).parent / "contrib/auth/locale/en/LC_MESSAGES/django.po"
    entries = [e for e in po_parse(po) if e.msgid and e.msgctxt is None]

    # when: translating each one into the default language
    with translation.override(settings.LANGUAGE_CODE):
        english = [
            e.msgid
            for e in entries
            if (
                translation.ngettext(e.msgid, e.msgid_plural, 8) == e.msgid_plural
                if e.msgid_plural
                else translation.gettext(e.msgid) == e.msgid
            )
        ]

    # then: none stays English (a Django release that rewords a msgid, as 5.1 did with the
    # password length message, needs an override in locale/zh_Hans)
    assert len(entries) > 50
    assert english == []
