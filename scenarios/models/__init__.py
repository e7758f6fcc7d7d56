from .audit import AuditEvent
from .committees import Committee, PolicyVersion
from .organizations import Membership, Organization, OrganizationRelation
from .regions import IndustryChain, Region

__all__ = [
    "AuditEvent",
    "Committee",
    "IndustryChain",
    "Membership",
    "Organization",
    "OrganizationRelation",
    "PolicyVersion",
    "Region",
]
