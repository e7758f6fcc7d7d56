from .audit import AuditEvent
from .committees import Committee, NegativeListEntry, PolicyVersion
from .needs import Capability, ScenarioNeed
from .organizations import Membership, Organization, OrganizationRelation
from .pilots import Pilot
from .platform import IdempotencyRecord, Invitation, Notification
from .regions import IndustryChain, Region
from .reviews import Assessment, Review

__all__ = [
    "Assessment",
    "AuditEvent",
    "Capability",
    "Committee",
    "IdempotencyRecord",
    "IndustryChain",
    "Invitation",
    "Membership",
    "NegativeListEntry",
    "Notification",
    "Organization",
    "OrganizationRelation",
    "Pilot",
    "PolicyVersion",
    "Region",
    "Review",
    "ScenarioNeed",
]
