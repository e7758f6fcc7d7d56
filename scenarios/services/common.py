"""Helpers shared by the services: version checks, keyword and chain input, status moves."""

import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import audit_record
from core.actors import Actor
from core.errors import InvalidInput, InvalidTransition, StaleVersion
from core.validation import check_text
from core.words import listing
from reference.models import IndustryChain
from scenarios.models.common import RefKey

MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 32


class HasVersion(Protocol):
    version: int


class Versioned(HasVersion, Protocol):
    pk: Any
    status: str


@dataclass(frozen=True)
class ImportSource:
    """The row of a bulk import a service writes: its audit row names the batch, the file and
    the row, and who may write it is the import's rule (``scenarios.access.may_import_for``)."""

    batch: str
    format: str
    file: str
    row: int

    def audit_data(self) -> dict[str, Any]:
        return {"batch": self.batch, "format": self.format, "file": self.file, "row": self.row}


# What a ref may hold: it names the item in addresses (/needs/<ref>/), files and spreadsheets.
REF_FORBIDDEN = set("/\\<>\"'`&%?#;,")


def check_ref(ref: str | None) -> None:
    """Refuse a ref that an address, a file or a spreadsheet would not carry as it is:
    whitespace, control characters and the characters of paths, markup and queries."""
    if ref is None:
        return
    bad = (
        not ref
        or len(ref) > 64
        or any(ch.isspace() or not ch.isprintable() or ch in REF_FORBIDDEN for ch in ref)
        # "." and ".." name no page: a browser resolves them away from the address
        or not any(ch.isalnum() for ch in ref)
    )
    if bad:
        raise InvalidInput(
            _("编号无效。"),
            fields={
                "ref": [
                    _(
                        "1–64 个字符，含字母或数字，不含空白、控制字符、引号、斜杠、尖括号"
                        "及 & ? # ; , 百分号。"
                    )
                ]
            },
        )


def ref_key(ref: str) -> str:
    """What refs that look alike share: NFKC (full-width forms become ASCII) upper-cased.
    ``Ｃ－００１``, ``c-001`` and ``C-001`` are one key."""
    return unicodedata.normalize("NFKC", ref).upper()


def stored_refs_by_key(model: type[models.Model], refs: Iterable[str]) -> dict[str, set[str]]:
    """The stored refs of ``model`` sharing a key with one of ``refs``, by key: one query
    through the key's index on PostgreSQL; SQLite, without ``normalize``, reads the refs."""
    keys = {ref_key(ref) for ref in refs}
    found: dict[str, set[str]] = {}
    if not keys:
        return found
    stored: Iterable[str]
    if connection.vendor == "postgresql":
        # One array parameter: a file's 100,000 keys as an IN list took 2.0 s, this 0.45 s.
        table = connection.ops.quote_name(model._meta.db_table)
        key_sql = RefKey("ref").template % {"expressions": "ref"}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ref FROM {table} WHERE {key_sql} = ANY(%s::text[])",  # noqa: S608
                [sorted(keys)],
            )
            stored = [row[0] for row in cursor.fetchall()]
    else:
        rows = model._base_manager.order_by().values_list("ref", flat=True)
        stored = rows.iterator(chunk_size=5000)
    for ref in stored:
        key = ref_key(ref)
        if key in keys:
            found.setdefault(key, set()).add(ref)
    return found


def lookalike_message(ref: str, other: str) -> str:
    text = _("编号“%(ref)s”与已有编号“%(other)s”仅大小写或全角/半角不同，请沿用已有编号或另取。")
    return text % {"ref": ref, "other": other}


def check_ref_unlike_stored(model: type[models.Model], ref: str | None) -> None:
    """Refuse a new ref that only looks like a stored one (another case, full-width forms):
    a person reading either would take them for one item."""
    if not ref:
        return
    same_key = stored_refs_by_key(model, [ref]).get(ref_key(ref), set())
    if same_key and ref not in same_key:
        raise InvalidInput(
            _("编号与已有编号相近。"),
            fields={"ref": [lookalike_message(ref, min(same_key))]},
        )


def new_ref(prefix: str) -> str:
    """A readable, unique-enough reference: N-20261126-3F9A2C."""
    return f"{prefix}-{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def check_version(obj: HasVersion, expected_version: int | None) -> None:
    """Refuse a write made against another version of ``obj`` than its current one (HTTP
    412): an older one (changed elsewhere since), or a later one, which was never issued."""
    if expected_version is not None and expected_version > obj.version:
        raise StaleVersion(
            _("版本 %(expected)s 不存在（当前为第 %(current)s 版），请刷新后重试。")
            % {"current": obj.version, "expected": expected_version},
            current_version=obj.version,
        )
    if expected_version is not None and expected_version != obj.version:
        raise StaleVersion(
            _("数据已在别处被修改（当前版本 %(current)s，请求版本 %(expected)s），请刷新后重试。")
            % {"current": obj.version, "expected": expected_version},
            current_version=obj.version,
        )


def clean_keywords(keywords: Any, *, field: str = "keywords") -> list[str]:
    """Normalise a keyword list: strings, stripped, de-duplicated, bounded."""
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise InvalidInput(_("关键词必须是字符串列表。"), fields={field: [_("必须是字符串列表。")]})
    cleaned = list(dict.fromkeys(k.strip() for k in keywords if k.strip()))
    controlled = [k for k in cleaned if any(unicodedata.category(c) == "Cc" for c in k)]
    if controlled:
        raise InvalidInput(
            _("关键词含有控制字符。"),
            fields={field: [_("关键词不能含制表符、换行等控制字符。")]},
        )
    if any(";" in k or "；" in k for k in cleaned):
        # The separator of the CSV/XLSX exchange and of the pages' keyword editor: "a;b"
        # came back from an export or a save as two keywords.
        raise InvalidInput(
            _("关键词含有分号。"),
            fields={field: [_("每个关键词是一个词，不能含分号（; 或 ；）；多个请分别填写。")]},
        )
    if len(cleaned) > MAX_KEYWORDS:
        raise InvalidInput(
            _("关键词过多。"), fields={field: [_("最多 %(n)s 个。") % {"n": MAX_KEYWORDS}]}
        )
    too_long = [k for k in cleaned if len(k) > MAX_KEYWORD_LENGTH]
    if too_long:
        named = listing(f"“{k[:12]}…”" for k in too_long[:3])
        raise InvalidInput(
            _("关键词过长。"),
            fields={
                field: [
                    _("每个最多 %(n)s 个字符，过长的有：%(words)s")
                    % {"n": MAX_KEYWORD_LENGTH, "words": named}
                ]
            },
        )
    return cleaned


def resolve_chains(slugs: Any, *, field: str = "chains") -> list[IndustryChain]:
    """Look up taxonomy nodes by slug; unknown slugs are a field error."""
    if not isinstance(slugs, list | tuple) or not all(isinstance(s, str) for s in slugs):
        raise InvalidInput(_("产业链必须是标识列表。"), fields={field: [_("必须是标识列表。")]})
    unique = list(dict.fromkeys(slugs))
    if not unique:
        raise InvalidInput(_("至少选择一个产业链/赛道。"), fields={field: [_("不能为空。")]})
    found = {c.slug: c for c in IndustryChain.objects.filter(slug__in=unique)}
    missing = [s for s in unique if s not in found]
    if missing:
        raise InvalidInput(
            _("未知的产业链/赛道。"),
            fields={field: [_("未知标识：%(s)s") % {"s": ", ".join(missing)}]},
        )
    return [found[s] for s in unique]


def transition(
    obj: Versioned,
    *,
    allowed: Mapping[str, frozenset[str]],
    to: str,
    actor: Actor | None,
    action: str,
    reason: str = "",
    extra_fields: Mapping[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move a locked object to ``to`` if the table allows it; bump version; audit.

    ``allowed`` is one of the tables of ``scenarios.lifecycle``. The caller holds the row
    lock and has checked the actor's permission.
    """
    check_text("reason", reason)  # the reason others read (a return, a suspension)
    current = obj.status
    if to not in allowed.get(current, frozenset()):
        names = dict(obj._meta.get_field("status").choices or ())  # type: ignore[attr-defined]
        raise InvalidTransition(
            _("当前状态“%(from)s”不能变更为“%(to)s”。")
            % {"from": names.get(current, current), "to": names.get(to, to)},
            status=current,
        )
    obj.status = to
    obj.version += 1
    fields = ["status", "version"]
    for name, value in (extra_fields or {}).items():
        setattr(obj, name, value)
        fields.append(name)
    if not isinstance(obj, models.Model):
        raise TypeError(obj)
    if any(f.name == "updated_at" for f in obj._meta.fields):
        fields.append("updated_at")
    obj.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=action,
        target=obj,
        from_state=current,
        to_state=to,
        reason=reason,
        data=data,
    )
