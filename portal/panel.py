"""The expert panel's assessments of a need as a table for its committee: one row per
expert, one column per selection criterion, the weighted score and the expert's comment.
Experts scored under the policy of their time, so the columns are the criteria of every
policy the panel used, in the order they first appear; a criterion an expert's policy did
not have stays empty in that row."""

from dataclasses import dataclass
from typing import Any

from portal.labels import criterion_name


@dataclass(frozen=True)
class PanelRow:
    assessment: Any
    scores: list[tuple[str, float | None]]  # (criterion name, score) per column


def panel_table(assessments: list[Any]) -> tuple[list[str], list[PanelRow]]:
    """(criterion names, one row per assessment with its score under each criterion)."""
    keys: list[str] = []
    names: list[str] = []
    for a in assessments:
        for criterion in a.policy.selection_criteria:
            if criterion["key"] not in keys:
                keys.append(criterion["key"])
                names.append(criterion_name(criterion))
    rows = [
        PanelRow(
            assessment=a,
            scores=[
                (name, float(a.scores[k]) if isinstance(a.scores.get(k), int | float) else None)
                for k, name in zip(keys, names, strict=True)
            ],
        )
        for a in assessments
    ]
    return names, rows
