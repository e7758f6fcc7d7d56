"""The province policy a fresh installation starts from (version 1)."""

from typing import Any

DEFAULT_SELECTION_CRITERIA: list[dict[str, Any]] = [
    {"key": "tech_advancement", "name": "技术先进性", "weight": 0.25},
    {"key": "demonstration", "name": "示范带动性", "weight": 0.20},
    {"key": "industry_pull", "name": "产业牵引力", "weight": 0.20},
    {"key": "replicability", "name": "可复制推广性", "weight": 0.20},
    {"key": "feasibility", "name": "实施可行性", "weight": 0.15},
]
# Criteria are scored 0-100; a weighted mean at or over this marks a high-value need.
DEFAULT_HIGH_VALUE_THRESHOLD = 80.0
DEFAULT_HIGH_VALUE_MIN_EXPERTS = 2
DEFAULT_MAJOR_BUDGET_THRESHOLD_CNY = 5_000_000
# The weights measured best on the held-out evaluation set (docs/matching-quality.md); the
# engine's own defaults (matching.engine.scoring.Weights) are the same, a test keeps them equal.
DEFAULT_MATCHING_WEIGHTS: dict[str, float] = {
    "text": 0.88,
    "chain": 0.01,
    "keywords": 0.05,
    "trl": 0.02,
    "region": 0.01,
    "track_record": 0.02,
    "capacity": 0.01,
}
DEFAULT_REGION_WEIGHTS: dict[str, float] = {
    "same_county": 1.0,
    "same_city": 0.8,
    "same_province": 0.6,
    "outside": 0.3,
}
DEFAULT_RECOMMENDATIONS_PER_NEED = 5
