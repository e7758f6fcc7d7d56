"""The negative list (负面清单): entries set by the province committee, and the check."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import is_platform_admin, is_province_committee_member
from accounts.validators import folded_text
from activity.services import audit_record
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, InvalidInput
from core.locks import lock_one
from core.validation import check_length, check_text, invisible, text_problem
from reference.models import IndustryChain
from scenarios import events
from scenarios.choices import NegativeListKind
from scenarios.models import Capability, NegativeListEntry


def check_negative_list_editor(actor: Actor | None, _obj: object = None) -> None:
    """Only the province committee (or a platform admin) adds or switches off entries."""
    if not (is_province_committee_member(actor) or is_platform_admin(actor)):
        raise ActorNotAllowed(_("只有省级工作委员会可以维护负面清单。"))


@transaction.atomic
def negative_entry_create(
    *, actor: Actor, kind: str, reason: str, keyword: str = "", chain_slug: str = ""
) -> NegativeListEntry:
    """Add an active entry: capabilities it hits can no longer publish or be matched (the
    published ones stay on the list, out of matching, until a committee suspends them or the
    entry is switched off: an entry added by mistake undoes without a firm resubmitting).

    Announces ``negative_list_changed`` after commit.
    """
    check_negative_list_editor(actor)
    chain = None
    if kind == NegativeListKind.CHAIN:
        if keyword.strip():
            raise InvalidInput(
                _("按产业链的条目不填关键词。"),
                fields={"keyword": [_("类型为产业链/赛道时不填关键词。")]},
            )
        chain = IndustryChain.objects.filter(slug=chain_slug).first()
        if chain is None:
            raise InvalidInput(_("未知的产业链/赛道。"), fields={"chain": [_("未知标识。")]})
        keyword = ""
    elif kind == NegativeListKind.KEYWORD:
        if chain_slug.strip():
            raise InvalidInput(
                _("按关键词的条目不填产业链。"),
                fields={"chain": [_("类型为关键词时不填产业链/赛道。")]},
            )
        keyword = keyword.strip()
        problem = keyword_problem(keyword)
        if problem:
            raise InvalidInput(_("关键词无效。"), fields={"keyword": [problem]})
    else:
        raise InvalidInput(_("类型无效。"), fields={"kind": [_("必须是 keyword 或 chain。")]})
    if not reason.strip():
        raise InvalidInput(_("请填写理由。"), fields={"reason": [_("不能为空。")]})
    if problem := text_problem(reason):
        # shown to firms as the reason their capability was returned
        raise InvalidInput(_("理由无效。"), fields={"reason": [problem]})
    active = NegativeListEntry.objects.select_for_update().filter(active=True, kind=kind)
    if (chain is not None and active.filter(chain=chain).exists()) or (
        chain is None
        and folded_text(keyword)
        in {folded_text(k) for k in active.values_list("keyword", flat=True)}
    ):
        field = "chain" if chain is not None else "keyword"
        raise InvalidInput(_("负面清单中已有这个条目。"), fields={field: [_("已在负面清单中。")]})
    entry = NegativeListEntry.objects.create(
        kind=kind,
        keyword=keyword,
        chain=chain,
        reason=reason.strip(),
        created_by=acting_user(actor),
    )
    audit_record(
        actor=actor, action="negative_list.add", target=entry, to_state="active", reason=reason
    )
    events.announce_negative_list_changed(entry_id=entry.pk, active=True)
    return entry


# A keyword is matched as a part of the capability's text: one character, or two Latin
# letters, is part of too many words to name a technology (a review's "a" took 46 of 222
# published capabilities out of matching).
MIN_KEYWORD_CHARS = 2
MIN_LATIN_KEYWORD_CHARS = 3


def keyword_problem(keyword: str) -> str | None:
    """Why ``keyword`` cannot be a negative-list keyword, or None."""
    if not keyword:
        return _("不能为空。")
    problem = text_problem(keyword, single_line=True)
    if problem:
        return problem
    if len(keyword) > NegativeListEntry._meta.get_field("keyword").max_length:  # type: ignore[operator]
        return _("最多 %(n)s 个字符。") % {
            "n": NegativeListEntry._meta.get_field("keyword").max_length
        }
    if any(invisible(ch) for ch in keyword):
        # 赌\u200b博 reads as 赌博 but matches nothing, and slips past the duplicate check
        return _("不能含零宽字符等不可见字符。")
    meaningful = sum(ch.isalnum() for ch in keyword)
    latin = keyword.isascii()
    if meaningful < (MIN_LATIN_KEYWORD_CHARS if latin else MIN_KEYWORD_CHARS):
        return _(
            "关键词太短：至少 %(cjk)s 个汉字或 %(latin)s 个字母、数字；"
            "关键词按文字片段匹配，太短的词会命中大量无关的能力。"
        ) % {"cjk": MIN_KEYWORD_CHARS, "latin": MIN_LATIN_KEYWORD_CHARS}
    return None


# Why an entry is switched off (audited): as long on the page as through the API.
DEACTIVATE_REASON_MAX = 500


@transaction.atomic
def negative_entry_deactivate(
    *, actor: Actor, entry: NegativeListEntry, reason: str = ""
) -> NegativeListEntry:
    """Switch an entry off (entries are kept for the record, never deleted); announces
    ``negative_list_changed`` after commit. ``reason`` is required and audited: the
    items the entry held back may publish after it. An entry already off is returned as it
    is (a repeated call answers as the first did)."""
    check_negative_list_editor(actor)
    check_text("reason", reason)
    check_length("reason", reason.strip(), limit=DEACTIVATE_REASON_MAX)
    entry = lock_one(NegativeListEntry, entry.pk)
    if not entry.active:
        return entry
    if not reason.strip():
        raise InvalidInput(
            _("停用“%(entry)s”需要填写理由。") % {"entry": entry},
            fields={"reason": [_("不能为空。")]},
        )
    entry.active = False
    entry.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="negative_list.deactivate",
        target=entry,
        from_state="active",
        to_state="inactive",
        reason=reason.strip(),
    )
    events.announce_negative_list_changed(entry_id=entry.pk, active=False)
    return entry


def active_negative_entries() -> list[NegativeListEntry]:
    """The active entries, read once for checking many items (``negative_list_hits``)."""
    return list(NegativeListEntry.objects.filter(active=True).select_related("chain"))


def negative_list_hits(
    *,
    title: str,
    description: str,
    keywords: list[str],
    chain_paths: list[str],
    past_cases: list[str] | None = None,
    entries: list[NegativeListEntry] | None = None,
) -> list[NegativeListEntry]:
    """Active entries that an item with this text and these chains runs into; ``entries``
    (``active_negative_entries``) saves reading them again for each of many items."""
    entries = entries if entries is not None else active_negative_entries()
    keys = {
        entry.pk: folded_text(entry.keyword)
        for entry in entries
        if entry.kind == NegativeListKind.KEYWORD
    }
    # Each field on its own (the end of the title and the start of the description are not
    # one word), folded only when a keyword entry is there to look for.
    fields = (
        [
            folded_text(t, joined=joined)
            for t in (title, description, *keywords, *(past_cases or ()))
            if t
            for joined in (True, False)
        ]
        if any(keys.values())
        else []
    )
    hits = []
    for entry in entries:
        key = keys.get(entry.pk, "")
        keyword_hit = bool(key) and any(key in field for field in fields)
        chain = entry.chain
        chain_hit = chain is not None and any(p.startswith(chain.path) for p in chain_paths)
        if keyword_hit or chain_hit:
            hits.append(entry)
    return hits


def capability_negative_hits(capability: Capability) -> list[NegativeListEntry]:
    return negative_list_hits(
        title=capability.title,
        description=capability.description,
        keywords=list(capability.keywords),
        chain_paths=[c.path for c in capability.chains.all()],
        past_cases=list(capability.past_cases or []),
    )
