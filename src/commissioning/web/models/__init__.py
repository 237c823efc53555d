"""The workspace's records, one module per part of the round."""

from commissioning.web.models.assurance import (
    AssuranceReturn,
    ExternalAudit,
    PerformanceRecord,
    Rating,
    RiskEntry,
)
from commissioning.web.models.audit import AccessDenial, AuditEntry, FailedLogin
from commissioning.web.models.competition import Award, Criterion, ModeratedScore, Score
from commissioning.web.models.contracts import (
    ActionPlan,
    Contract,
    ContractVersion,
    ScheduleLine,
    TargetLevel,
    Variation,
)
from commissioning.web.models.organisations import Membership, Organisation
from commissioning.web.models.rounds import (
    CommissioningRound,
    Lot,
    LotBudget,
    Proposal,
    ProposalFlag,
    ProposalLine,
    RoundEnvelope,
    Subcontract,
)

__all__ = [
    "AccessDenial",
    "ActionPlan",
    "AssuranceReturn",
    "AuditEntry",
    "Award",
    "CommissioningRound",
    "Contract",
    "ContractVersion",
    "Criterion",
    "ExternalAudit",
    "FailedLogin",
    "Lot",
    "LotBudget",
    "Membership",
    "ModeratedScore",
    "Organisation",
    "PerformanceRecord",
    "Proposal",
    "ProposalFlag",
    "ProposalLine",
    "Rating",
    "RiskEntry",
    "RoundEnvelope",
    "ScheduleLine",
    "Score",
    "Subcontract",
    "TargetLevel",
    "Variation",
]
