"""Facet trees for the list pages: the chain taxonomy and the regions, with each node's count
in the current selection; a chosen node is shown with the path above it and its children."""

from dataclasses import dataclass, field

from reference.selectors import (
    ChainNode,
    RegionNode,
    chain_roots,
    chains_by_slug,
    home_region_tree,
    provinces,
    regions_by_code,
)


@dataclass
class FacetNode:
    value: str
    label: str
    count: int
    selected: bool = False
    children: list["FacetNode"] = field(default_factory=list)


@dataclass
class FacetTree:
    """The nodes to show, and the path from the top to the chosen node (for a breadcrumb)."""

    nodes: list[FacetNode]
    path: list[FacetNode]


def _chain(node: ChainNode, counts: dict[int, int], selected: str | None) -> FacetNode:
    children = [_chain(c, counts, selected) for c in node.children]
    return FacetNode(
        value=node.slug,
        label=node.name,
        count=counts.get(node.id, 0),
        selected=node.slug == selected,
        children=[c for c in children if c.count or c.selected],
    )


def chain_facet(counts: dict[int, int], selected: str | None) -> FacetTree:
    """The taxonomy with counts; below a chosen node, only its subtree."""
    chosen = chains_by_slug().get(selected or "")
    if chosen is None:
        roots = [_chain(r, counts, None) for r in chain_roots()]
        return FacetTree(nodes=[r for r in roots if r.count], path=[])
    by_slug = chains_by_slug()
    trail = [by_slug[s] for s in chosen.path.rstrip("/").split("/") if s in by_slug]
    path = [FacetNode(n.slug, n.name, counts.get(n.id, 0), n.slug == chosen.slug) for n in trail]
    return FacetTree(nodes=[_chain(chosen, counts, chosen.slug)], path=path)


def _region(node: RegionNode, counts: dict[str, int], selected: str | None) -> FacetNode:
    children = [_region(c, counts, selected) for c in node.children]
    return FacetNode(
        value=node.code,
        label=node.name,
        count=counts.get(node.code, 0),
        selected=node.code == selected,
        children=[c for c in children if c.count or c.selected],
    )


def region_facet(counts: dict[str, int], selected: str | None, *, home_only: bool) -> FacetTree:
    """The home province's cities and counties with counts; for capabilities (firms come
    from anywhere) the other provinces too. Below a chosen region, only its subtree."""
    by_code = regions_by_code()
    chosen = by_code.get(selected or "")
    if chosen is None:
        home = home_region_tree()
        nodes = [_region(home, counts, None)]
        if not home_only:
            nodes += [
                FacetNode(p.code, p.name, counts.get(p.code, 0))
                for p in provinces()
                if p.code != home.code and counts.get(p.code)
            ]
        return FacetTree(nodes=[n for n in nodes if n.count], path=[])
    trail = [by_code[c] for c in chosen.path.rstrip("/").split("/") if c in by_code]
    path = [FacetNode(n.code, n.name, counts.get(n.code, 0), n.code == chosen.code) for n in trail]
    return FacetTree(nodes=[_region(chosen, counts, chosen.code)], path=path)
