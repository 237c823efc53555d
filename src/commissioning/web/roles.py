"""Who is who in the workspace: organisation kinds and the roles people hold in them.

The document's ethical walls separate the commissioner (NOMS commissioning) from every provider,
including the public-sector prison provider that sits in the same agency. Roles here only name
people; what each role may see and do is decided in one place, :mod:`commissioning.web.walls`.
"""

from __future__ import annotations

from django.db import models


class OrganisationKind(models.TextChoices):
    COMMISSIONER = "commissioner", "Commissioner"
    PROBATION_TRUST = "probation_trust", "Probation trust"
    PUBLIC_PRISON = "public_prison", "Public sector prison"
    CONTRACTED_PRISON = "contracted_prison", "Contracted prison"
    VOLUNTARY_SECTOR = "voluntary_sector", "Voluntary sector"
    PARTNER = "partner", "Co-commissioning partner"
    ASSURANCE = "assurance", "Audit and assurance"


PROVIDER_KINDS = frozenset(
    {
        OrganisationKind.PROBATION_TRUST,
        OrganisationKind.PUBLIC_PRISON,
        OrganisationKind.CONTRACTED_PRISON,
        OrganisationKind.VOLUNTARY_SECTOR,
    }
)


class Role(models.TextChoices):
    COMMISSIONER = "commissioner", "Commissioner"
    CONTRACT_MANAGER = "contract_manager", "Contract manager"
    PROVIDER = "provider", "Provider"
    PARTNER = "partner", "Co-commissioning partner"
    AUDITOR = "auditor", "Auditor (read only)"
    PUBLIC = "public", "Member of the public"


#: The organisation kinds each role may belong to (checked when a membership is saved).
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    Role.COMMISSIONER: frozenset({OrganisationKind.COMMISSIONER}),
    Role.CONTRACT_MANAGER: frozenset({OrganisationKind.COMMISSIONER}),
    Role.PROVIDER: frozenset(PROVIDER_KINDS),
    Role.PARTNER: frozenset({OrganisationKind.PARTNER}),
    Role.AUDITOR: frozenset({OrganisationKind.ASSURANCE, OrganisationKind.COMMISSIONER}),
}

#: Roles on the commissioning side of the wall (they may see commissioning information).
COMMISSIONING_SIDE = frozenset({Role.COMMISSIONER, Role.CONTRACT_MANAGER, Role.AUDITOR})
