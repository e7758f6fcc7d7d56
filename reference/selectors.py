"""Reads of the reference data: the chain taxonomy and the regions as trees and as look-ups
by code or slug. They change only when ``load_reference`` runs, so each process builds them
once and keeps them until the reference generation (a token in the shared cache, replaced by
``reference_changed``) moves on; the token is looked at most once a second."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.translation import get_language

from reference.choices import RegionLevel
from reference.models import IndustryChain, Region
from reference.names import region_name_en
from reference.services import GENERATION_KEY, home_province

CHECK_SECONDS = 1.0
T = TypeVar("T")
_built: dict[str, tuple[str, Any]] = {}
_seen: dict[str, Any] = {"token": None, "at": 0.0}


def forget_built() -> None:
    """Drop this process's trees now (tests that reload the reference data use it)."""
    _built.clear()
    _seen.update(token=None, at=0.0)


def _generation() -> str:
    now = time.monotonic()
    if _seen["token"] is None or now - _seen["at"] > CHECK_SECONDS:
        token = cache.get(GENERATION_KEY)
        if token is None:  # first use, or the cache was emptied: start a new generation
            cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
            token = cache.get(GENERATION_KEY)
        _seen.update(token=token, at=now)
    return str(_seen["token"])


def _memo(name: str, build: Callable[[], T]) -> T:
    generation = _generation()
    hit = _built.get(name)
    if hit is not None and hit[0] == generation:
        return hit[1]  # type: ignore[no-any-return]
    value = build()
    _built[name] = (generation, value)
    return value


def built_from_reference(name: str, build: Callable[[], T]) -> T:
    """A value other apps derive from the reference data (e.g. a parsing cache), built once
    per process and rebuilt when ``load_reference`` changes the data, like the trees."""
    return _memo(f"derived:{name}", build)


@dataclass
class ChainNode:
    id: int
    slug: str
    name_zh: str
    name_en: str
    parent_id: int | None
    path: str
    children: list["ChainNode"] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The node's name in the active language."""
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


@dataclass
class RegionNode:
    code: str
    name_zh: str
    level: str
    parent_code: str | None
    path: str
    children: list["RegionNode"] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The region's name in the active language."""
        if (get_language() or "").startswith("en"):
            return region_name_en(self.name_zh)
        return self.name_zh


def _build_chains() -> list[ChainNode]:
    rows = IndustryChain.objects.order_by("path").values_list(
        "id", "slug", "name_zh", "name_en", "parent_id", "path"
    )
    nodes = [ChainNode(*row) for row in rows]
    by_id = {n.id: n for n in nodes}
    for node in nodes:
        if node.parent_id is not None and node.parent_id in by_id:
            by_id[node.parent_id].children.append(node)
    return nodes


def chain_nodes() -> list[ChainNode]:
    """Every taxonomy node in tree order (parents first), with ``children`` filled. The
    nodes are shared: read them, never change them."""
    return _memo("chains", _build_chains)


def chain_roots() -> list[ChainNode]:
    return _memo("chain-roots", lambda: [n for n in chain_nodes() if n.parent_id is None])


def chains_by_slug() -> dict[str, ChainNode]:
    return _memo("chains-by-slug", lambda: {n.slug: n for n in chain_nodes()})


def chains_by_id() -> dict[int, ChainNode]:
    return _memo("chains-by-id", lambda: {n.id: n for n in chain_nodes()})


def _build_regions() -> dict[str, RegionNode]:
    rows = Region.objects.order_by("path").values_list("code", "name", "level", "parent_id", "path")
    nodes = {row[0]: RegionNode(*row) for row in rows}
    for node in nodes.values():
        if node.parent_code is not None and node.parent_code in nodes:
            nodes[node.parent_code].children.append(node)
    return nodes


def regions_by_code() -> dict[str, RegionNode]:
    """Every region of China by code (3,211), with ``children`` filled (shared: read only)."""
    return _memo("regions", _build_regions)


def home_region_tree() -> RegionNode:
    """The home province with its cities and their counties (where the committees are)."""
    return _memo("home", lambda: regions_by_code()[home_province().code])


def provinces() -> list[RegionNode]:
    return _memo(
        "provinces",
        lambda: [n for n in regions_by_code().values() if n.level == RegionLevel.PROVINCE],
    )


def region_full_name(code: str) -> str:
    """``江西省 南昌市 东湖区``: the region with the names of its ancestors. In English the
    order of an English address, smallest first and comma-separated (``Donghu District,
    Nanchang City, Jiangxi Province``): run together with spaces, the names read as one."""
    by_code = regions_by_code()
    node = by_code.get(code)
    if node is None:
        return code
    names = [by_code[part].name for part in node.path.rstrip("/").split("/") if part in by_code]
    if (get_language() or "").startswith("en"):
        return ", ".join(reversed(names))
    return " ".join(names)
