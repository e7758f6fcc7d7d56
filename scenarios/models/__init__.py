from .assessments import Assessment
from .capabilities import Capability
from .imports import ImportJob, ImportStatus
from .needs import ScenarioNeed
from .pilots import Pilot
from .policy import NegativeListEntry, PolicyVersion
from .reviews import Review

__all__ = [
    "Assessment",
    "Capability",
    "ImportJob",
    "ImportStatus",
    "NegativeListEntry",
    "Pilot",
    "PolicyVersion",
    "Review",
    "ScenarioNeed",
]
