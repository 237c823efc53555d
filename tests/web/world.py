"""A small world for wall and audit tests: one commissioner, two providers, a partner, an
auditor, a round with proposals, and contracts with assurance — built in the test database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from commissioning.web import models as m
from commissioning.web.roles import OrganisationKind, Role

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    orgs: dict[str, m.Organisation]
    users: dict[str, Any]
    round: m.CommissioningRound
    proposals: dict[str, m.Proposal]
    contracts: dict[str, m.Contract]


def _user(name: str, org: m.Organisation, role: str) -> Any:
    user = get_user_model().objects.create_user(username=name, password=PASSWORD)
    m.Membership.objects.create(user=user, organisation=org, role=role)
    return user


def build_world() -> World:
    orgs = {
        "noms": m.Organisation.objects.create(name="NOMS", kind=OrganisationKind.COMMISSIONER),
        "audit": m.Organisation.objects.create(name="Audit", kind=OrganisationKind.ASSURANCE),
        "prison_a": m.Organisation.objects.create(
            name="HMP A", kind=OrganisationKind.PUBLIC_PRISON, provider_id="AAI"
        ),
        "trust_b": m.Organisation.objects.create(
            name="Trust B", kind=OrganisationKind.PROBATION_TRUST, provider_id="BBB"
        ),
        "partner": m.Organisation.objects.create(name="PCC", kind=OrganisationKind.PARTNER),
    }
    users = {
        "commissioner": _user("commissioner", orgs["noms"], Role.COMMISSIONER),
        "contracts": _user("contracts", orgs["noms"], Role.CONTRACT_MANAGER),
        "auditor": _user("auditor", orgs["audit"], Role.AUDITOR),
        "provider_a": _user("provider_a", orgs["prison_a"], Role.PROVIDER),
        "provider_b": _user("provider_b", orgs["trust_b"], Role.PROVIDER),
        "partner": _user("partner", orgs["partner"], Role.PARTNER),
    }
    rnd = m.CommissioningRound.objects.create(
        year="2012-13", title="Round", status=m.CommissioningRound.Status.OPEN
    )
    m.RoundEnvelope.objects.create(
        round=rnd, budget=Decimal("3700000000"), savings_target=Decimal("120000000")
    )
    proposals = {
        "a_submitted": m.Proposal.objects.create(
            round=rnd, provider=orgs["prison_a"], title="A's bid", status="submitted"
        ),
        "a_draft": m.Proposal.objects.create(
            round=rnd, provider=orgs["prison_a"], title="A's draft", status="draft"
        ),
        "b_submitted": m.Proposal.objects.create(
            round=rnd, provider=orgs["trust_b"], title="B's bid", status="submitted"
        ),
    }
    for p in proposals.values():
        m.ProposalLine.objects.create(
            proposal=p,
            service_id="thinking_skills_programme",
            setting="custody",
            offence_group="violence",
            risk_tier="high",
            harm="medium",
            volume=10,
            unit_price=Decimal("1000"),
        )
    contracts = {
        "a_published": m.Contract.objects.create(
            reference="SLA-A",
            title="A's SLA",
            kind="sla",
            provider=orgs["prison_a"],
            starts=dt.date(2012, 4, 1),
            ends=dt.date(2013, 3, 31),
            published=True,
        ),
        "b_shared": m.Contract.objects.create(
            reference="CON-B",
            title="B's contract",
            kind="contract",
            provider=orgs["trust_b"],
            starts=dt.date(2012, 4, 1),
            ends=dt.date(2013, 3, 31),
            published=False,
        ),
    }
    contracts["b_shared"].shared_with.add(orgs["partner"])
    for c in contracts.values():
        m.ContractVersion.objects.create(
            contract=c, number=1, status="agreed", annual_operating_price=Decimal("1000000")
        )
        m.ContractVersion.objects.create(
            contract=c, number=2, status="draft", annual_operating_price=Decimal("1100000")
        )
        m.AssuranceReturn.objects.create(
            contract=c,
            kind="self_audit",
            period="2012-Q1",
            statement="ok",
            compliant=True,
            submitted_by=users["contracts"],
        )
        m.PerformanceRecord.objects.create(
            contract=c,
            measure="Proven reoffending",
            period="2012-Q1",
            actual=Decimal("0.3"),
            unit="proportion",
            people=100,
        )
    m.Rating.objects.create(organisation=orgs["prison_a"], year="2011-12", level=3, published=True)
    m.Rating.objects.create(organisation=orgs["trust_b"], year="2011-12", level=2, published=False)
    return World(orgs, users, rnd, proposals, contracts)
