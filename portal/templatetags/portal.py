"""Formatting for people: 万元, scores to two decimals, names of chains and regions in the
active language, people's own text marked with its language, highlighted words, and query
strings that keep the current filters."""

import datetime
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.words import listing
from portal.forms import messages_line
from portal.labels import VERB_LABELS
from reference.selectors import (
    ChainNode,
    chain_roots,
    chains_by_id,
    chains_by_slug,
    region_full_name,
    regions_by_code,
)

register = template.Library()
register.filter("messages_line", messages_line)


@register.filter
def wan(yuan: int | None) -> str:
    """An amount in yuan as 万元: 800000 → 80 万元, 1234567 → 123.46 万元 (in English, in
    yuan with thousands separators: CNY 800,000)."""
    if yuan is None:
        return _("未定")
    if (get_language() or "").startswith("en"):
        return f"CNY {int(yuan):,}"
    amount = (Decimal(yuan) / Decimal(10_000)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return _("%(amount)s 万元") % {"amount": text}


@register.filter(expects_localtime=True)
def when(value: Any) -> str:
    """A date and time for people, one way in every language: the long date and a 24-hour
    time (2026年12月7日 16:26; 7 Dec 2026 16:26), never the US short form 12/07/2026 or
    a 12-hour "4:26 p.m." beside 24-hour times."""
    if not value:
        return ""
    return f"{date_format(value, 'DATE_FORMAT')} {date_format(value, 'H:i')}"


@register.filter
def day(value: Any) -> str:
    """A date, or an ISO date string (a milestone's due day), as the pages write dates
    (2027年1月15日; 15 Jan 2027); what is not a date is shown as it is."""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime.date):
        return "" if value is None else str(value)
    return date_format(value, "DATE_FORMAT")


@register.filter
def score(value: float | None) -> str:
    """A score or feature in [0, 1] to two decimals (the portal issue's convention)."""
    if value is None:
        return "–"
    return f"{float(value):.2f}"


@register.filter
def percent(value: float | None) -> int:
    """A share in [0, 1] as a whole percentage for bar widths."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.filter
def chain_names(item: Any) -> list[str]:
    """Names of an item's chains in the active language (the chains are prefetched)."""
    nodes = chains_by_id()
    return [nodes[c.id].name for c in item.chains.all() if c.id in nodes]


@register.filter
def chain_name(slug: str) -> str:
    node = chains_by_slug().get(slug)
    return node.name if node else slug


@register.filter
def region_name(code: str | None) -> str:
    """A region's own name in the active language."""
    if not code:
        return ""
    node = regions_by_code().get(code)
    return node.name if node else code


@register.filter
def region_path_name(code: str | None) -> str:
    """A region with its ancestors: 江西省 南昌市 东湖区."""
    return region_full_name(code) if code else ""


@register.filter
def highlight(text: str, words: Iterable[str] | None) -> SafeString:
    """``text`` escaped, each occurrence of ``words`` wrapped in ``<mark>`` (matched in the
    raw text, so a word can never cut through an escaped entity)."""
    raw = text or ""
    terms = sorted({w for w in (words or []) if w and w.strip()}, key=len, reverse=True)
    if not terms:
        return escape(raw)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for found in pattern.finditer(raw):
        out.append(str(escape(raw[last : found.start()])))
        out.append(f"<mark>{escape(found.group(0))}</mark>")
        last = found.end()
    out.append(str(escape(raw[last:])))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


# Han characters (CJK unified ideographs, their extensions and compatibility forms).
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@register.filter
def lang_zh(text: Any) -> str:
    """Text people wrote (titles, descriptions, organisations' names), marked as Chinese
    for screen readers where the page is in another language: ``<span lang="zh-CN">``
    around it when it holds Chinese characters and the interface is not Chinese (a Chinese
    page says so on ``<html>``). Escaped either way; a value already safe stays as it is."""
    value: Any = "" if text is None else text
    if not isinstance(value, str):
        value = str(value)
    if (get_language() or "").startswith("zh") or not HAN.search(value):
        return conditional_escape(value)
    return format_html('<span lang="zh-CN">{}</span>', value)


@register.filter
def words(items: Iterable[str] | None) -> str:
    """A list of words joined the way the active language lists them (、 or , )."""
    return listing(items or [])


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None removes a key); resets the
    page unless it is among the changes."""
    request = context.get("request")
    params: QueryDict = request.GET.copy() if request is not None else QueryDict(mutable=True)
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None and value != "":
            if isinstance(value, list | tuple):
                params.setlist(key, [str(v) for v in value])
            else:
                params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, key: str, value: Any) -> str:
    """The current query string with ``key`` set to ``value`` (for keys named at run time)."""
    return query(context, **{key: value})


@register.simple_tag(takes_context=True)
def kept_params(context: template.Context, form: Any, *exclude: str) -> list[tuple[str, str]]:
    """The list's query as hidden fields for another form on the page (the sort): only the
    list form's own fields that passed and that the list applies, never unknown keys,
    rejected values or a value the form's checks dropped (the lower end of a reversed TRL
    range: resent, it would filter the sorted list by itself)."""
    request = context.get("request")
    if request is None:
        return []
    applied = getattr(form, "cleaned_data", None)
    return [
        (key, value)
        for key in form.fields
        if key not in exclude and key not in form.errors and (applied is None or key in applied)
        for value in request.GET.getlist(key)
        if value and "\x00" not in value
    ]


@register.simple_tag
def chain_tree_roots() -> list[ChainNode]:
    """The taxonomy's roots with their children, for the tree pickers of the forms."""
    return chain_roots()


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def verb_label(verb: str) -> str:
    """What a notification is about, in the active language."""
    return str(VERB_LABELS.get(verb, _("通知")))


@register.filter
def days_since(moment: Any) -> int:
    """Whole days from ``moment`` (a datetime) to now: how long something has waited."""
    if moment is None:
        return 0
    return max(0, (timezone.now() - moment).days)


@register.filter
def pair_columns(today: Any, draft: Any) -> list[tuple[str, Any, bool]]:
    """The policy preview's two columns with their headings (the draft's marks its moves)."""
    return [(_("今天"), today, False), (_("草稿权重"), draft, True)]
