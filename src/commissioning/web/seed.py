"""Demo data for the web workspace: the organisations of the 2012-13 round and a few people.

Organisations are real (the 35 probation trusts and the prisons open on 31 March 2011 from the
reference data, the co-commissioning partners the document names), except the voluntary-sector
providers, which are invented and say so. Everything *about* them — proposals, prices, contract
volumes, targets, performance, ratings, assurance — is synthetic demo content, labelled as such
on the round, and exists so that every page and every wall has something to show.

``seed_demo`` is idempotent: it does nothing when a commissioner organisation already exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from commissioning.reference.partners import CO_COMMISSIONING_PARTNERS
from commissioning.reference.providers import providers_table
from commissioning.secure.rounds import financial_year_start
from commissioning.web import audit, services
from commissioning.web import models as m
from commissioning.web.policy import parameters
from commissioning.web.roles import OrganisationKind, Role

#: The demo round's calendar (demo content, not policy): ``demo_calendar.yaml``.
CALENDAR: dict[str, Any] = yaml.safe_load(
    (Path(__file__).with_name("demo_calendar.yaml")).read_text(encoding="utf-8"))

COMMISSIONER_NAME = "NOMS Commissioning (demo)"
ASSURANCE_NAME = "MoJ Audit and Corporate Assurance (demo)"
#: Invented voluntary-sector providers (no real charity is implied to have bid).
VOLUNTARY_SECTOR = (
    ("VS01", "Northern Mentoring Partnership (synthetic)", "North East"),
    ("VS02", "Women's Turnaround Network (synthetic)", "North West"),
    ("VS03", "Midlands Recovery Collective (synthetic)", "West Midlands"),
    ("VS04", "Homes First Resettlement (synthetic)", "London"),
)
ROUND_YEAR = "2012-13"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str


#: (username, role, organisation name or provider_id or partner name).
DEMO_PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("commissioner", Role.COMMISSIONER, COMMISSIONER_NAME),
    ("contracts", Role.CONTRACT_MANAGER, COMMISSIONER_NAME),
    ("auditor", Role.AUDITOR, ASSURANCE_NAME),
    ("trust.london", Role.PROVIDER, "provider:LDN"),
    ("trust.wales", Role.PROVIDER, "provider:WPT"),
    ("prison.leeds", Role.PROVIDER, "provider:LEI"),
    ("prison.altcourse", Role.PROVIDER, "provider:ACI"),
    ("charity", Role.PROVIDER, "provider:VS02"),
    ("partner", Role.PARTNER, "Police and Crime Commissioners (elected from November 2012)"),
)


@dataclass(frozen=True)
class DemoSeed:
    """What :func:`seed_demo` made (or found)."""

    created: bool
    password: str | None
    accounts: tuple[DemoAccount, ...]


def _organisations() -> dict[str, m.Organisation]:
    """All organisations, keyed by ``provider:<id>`` for providers and by name otherwise."""
    out: dict[str, m.Organisation] = {}
    for name, kind in (
        (COMMISSIONER_NAME, OrganisationKind.COMMISSIONER),
        (ASSURANCE_NAME, OrganisationKind.ASSURANCE),
    ):
        out[name] = m.Organisation.objects.create(name=name, kind=kind)
    table = providers_table(parameters().at(financial_year_start(ROUND_YEAR))).to_pylist()
    rows = [
        *table,
        *(
            {"provider_id": p, "name": n, "kind": OrganisationKind.VOLUNTARY_SECTOR, "region": r}
            for p, n, r in VOLUNTARY_SECTOR
        ),
    ]
    for row in rows:
        kind = row["kind"]
        name = row["name"]
        if kind == OrganisationKind.PROBATION_TRUST and not name.endswith("Probation Trust"):
            name = f"{name} Probation Trust"
        org = m.Organisation.objects.create(
            name=name, kind=kind, provider_id=row["provider_id"], region=row["region"] or ""
        )
        out[f"provider:{row['provider_id']}"] = org
    for p in CO_COMMISSIONING_PARTNERS:
        out[p.name] = m.Organisation.objects.create(
            name=p.name, kind=OrganisationKind.PARTNER, region=p.region
        )
    return out


def _people(orgs: dict[str, m.Organisation], password: str) -> tuple[DemoAccount, ...]:
    user_model = get_user_model()
    # One deliberately slow hash for the shared demo password, not one per account.
    hashed = make_password(password)
    accounts = []
    for username, role, where in DEMO_PEOPLE:
        org = orgs[where]
        user = user_model(username=username, password=hashed)
        user.save()
        m.Membership.objects.create(user=user, organisation=org, role=role)
        accounts.append(DemoAccount(username, str(role), org.name))
    return tuple(accounts)


def _line(
    service: str,
    setting: str,
    group: str,
    tier: str,
    harm: str,
    volume: int,
    price: str,
    **extra: object,
) -> dict[str, object]:
    return {
        "service_id": service,
        "setting": setting,
        "offence_group": group,
        "risk_tier": tier,
        "harm": harm,
        "volume": volume,
        "unit_price": Decimal(price),
        **extra,
    }


def _round(orgs: dict[str, m.Organisation]) -> m.CommissioningRound:
    rnd = m.CommissioningRound.objects.create(
        year=ROUND_YEAR,
        title="Strategic Commissioning Round 2012-13 (demo with synthetic proposals)",
        summary=(
            "The National Offender Management Service's commissioning intentions for 2012-13: "
            "38 intentions across co-commissioned, community and custodial services. Providers "
            "answer with their local profile of need, the services they will deliver, their "
            "rationale where a choice departs from the evidence base, their subcontracting plans "
            "and their price. Proposals, prices and volumes in this demo are synthetic."
        ),
        status=m.CommissioningRound.Status.DRAFT,
        opens=CALENDAR["round"]["opens"],
        closes=CALENDAR["round"]["closes"],
    )
    # the workspace's policy at the round's date, as every page reads it
    params, when = parameters(), rnd.starts
    m.RoundEnvelope.objects.create(
        round=rnd,
        budget=Decimal(str(params.value("secure.agency_budget", when))),
        savings_target=Decimal(str(params.value("plan.savings_target", when))),
        notes="From the dated parameters secure.agency_budget and plan.savings_target.",
    )
    for name, kind, weight, guidance in (
        (
            "Evidence-based delivery for the local population",
            "quality",
            "25",
            "Services match the provider's profile of need and the evidence base.",
        ),
        (
            "Meeting the commissioning intentions",
            "quality",
            "20",
            "Departures from the intentions are few and well reasoned.",
        ),
        (
            "Partnership and subcontracting",
            "quality",
            "15",
            "Local commissioning and co-commissioning through the prime provider.",
        ),
        ("Price", "price", "40", "Lowest annual price ÷ this proposal's annual price × 40."),
    ):
        m.Criterion.objects.create(
            round=rnd, name=name, kind=kind, weight=Decimal(weight), guidance=guidance
        )
    # Lots, through the same method as the lots page; their budgets are synthetic, like the bids.
    for group, region, setting, budget in DEMO_LOTS:
        rnd.add_lot(group, region, setting, Decimal(budget))
    # Published as the commissioner does: the draft round opens once its lots are set.
    rnd.status = m.CommissioningRound.Status.OPEN
    rnd.save(update_fields=["status"])
    return rnd


#: The demo round's lots (service group, region, setting, synthetic budget in £ a year).
DEMO_LOTS: tuple[tuple[str, str, str, str], ...] = (
    ("Community rehabilitation services", "London", "community", "6500000"),
    ("Reducing reoffending services", "Yorkshire and the Humber", "custody", "1800000"),
    ("Women's community services", "North West", "community", "400000"),
    ("Reducing reoffending services", "North West", "custody", "500000"),
)
#: Which lot each demo proposal answers (by provider).
DEMO_LOT_OF = {"provider:LDN": 1, "provider:LEI": 2, "provider:VS02": 3, "provider:ACI": 4}
#: The subcontracts each demo proposal's plan names (subcontractor, services, annual value).
DEMO_SUBCONTRACTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "provider:LDN": (("A local housing charity (synthetic)", "Accommodation advice", "95000"),),
    "provider:LEI": (("A local housing charity (synthetic)", "Accommodation advice on release",
                      "40000"),),
}


def _proposals(rnd: m.CommissioningRound, orgs: dict[str, m.Organisation]) -> None:
    now: dt.datetime = CALENDAR["proposals_submitted_at"]
    plans: list[tuple[str, str, str, list[dict[str, object]]]] = [
        (
            "provider:LDN",
            "submitted",
            "London community rehabilitation 2012-13",
            [
                _line(
                    "thinking_skills_programme",
                    "community",
                    "violence",
                    "medium",
                    "medium",
                    900,
                    "1450",
                ),
                _line(
                    "thinking_skills_programme",
                    "community",
                    "acquisitive",
                    "high",
                    "medium",
                    700,
                    "1450",
                ),
                _line(
                    "employment_support", "community", "acquisitive", "medium", "low", 1500, "620"
                ),
                _line(
                    "drug_rehabilitation", "community", "acquisitive", "high", "low", 1100, "2100"
                ),
                _line(
                    "mentoring",
                    "community",
                    "other",
                    "low",
                    "low",
                    400,
                    "380",
                    rationale="Volunteer mentors already recruited; low cost.",
                ),
                _line("self_esteem_group", "community", "other", "medium", "low", 120, "250"),
            ],
        ),
        (
            "provider:LEI",
            "submitted",
            "HMP Leeds reducing reoffending services 2012-13",
            [
                _line(
                    "thinking_skills_programme", "custody", "violence", "high", "high", 160, "1900"
                ),
                _line("drug_recovery_wing", "custody", "acquisitive", "high", "low", 120, "3200"),
                _line("education_training", "custody", "acquisitive", "medium", "low", 600, "900"),
                _line("accommodation_support", "custody", "other", "medium", "low", 500, "300"),
            ],
        ),
        (
            "provider:VS02",
            "submitted",
            "Women's community services, North West",
            [
                _line(
                    "mentoring",
                    "community",
                    "acquisitive",
                    "medium",
                    "low",
                    250,
                    "650",
                    women_only=True,
                ),
                _line(
                    "accommodation_support",
                    "community",
                    "acquisitive",
                    "medium",
                    "low",
                    200,
                    "420",
                    women_only=True,
                ),
            ],
        ),
        (
            "provider:ACI",
            "draft",
            "HMP/YOI Altcourse services 2012-13 (draft)",
            [
                _line("education_training", "custody", "violence", "medium", "medium", 400, "850"),
            ],
        ),
    ]
    for where, status, title, lines in plans:
        subcontracts = DEMO_SUBCONTRACTS.get(where, ())
        proposal = m.Proposal.objects.create(
            round=rnd,
            provider=orgs[where],
            lot=rnd.lots.get(number=DEMO_LOT_OF[where]),
            title=title,
            delivery_approach=(
                "Delivered by our own staff in the community and in establishments, targeted on "
                "the segments our profile shows at medium or higher risk of reoffending."
            ),
            subcontracting_plan=(
                "Accommodation advice subcontracted to a local housing charity."
                if subcontracts else "No subcontracting: every service is delivered by our staff."
            ),
        )
        for line in lines:
            m.ProposalLine.objects.create(proposal=proposal, **line)
        for who, what, value in subcontracts:
            m.Subcontract.objects.create(proposal=proposal, subcontractor=who, services=what,
                                         annual_value=Decimal(value))
        if status == "submitted":
            services.submit_proposal(proposal, at=now)  # the same method as the pages and the API
        else:
            services.recheck(proposal)


def _contracts(orgs: dict[str, m.Organisation], rnd: m.CommissioningRound) -> None:
    agreed_at: dt.datetime = CALENDAR["contracts_agreed_at"]
    # the round's financial year
    starts = rnd.starts
    ends = starts.replace(year=starts.year + 1) - dt.timedelta(days=1)
    specs = [
        (
            "SLA-LEI-2012",
            "HMP Leeds service level agreement 2012-13",
            m.Contract.Kind.SLA,
            "provider:LEI",
            True,
            "46500000",
        ),
        (
            "CON-ACI-2012",
            "HMP/YOI Altcourse contract schedule 2012-13",
            m.Contract.Kind.CONTRACT,
            "provider:ACI",
            False,
            "38200000",
        ),
        (
            "CON-LDN-2012",
            "London Probation Trust contract 2012-13",
            m.Contract.Kind.CONTRACT,
            "provider:LDN",
            True,
            "152000000",
        ),
        (
            "CON-WPT-2012",
            "Wales Probation Trust contract 2012-13",
            m.Contract.Kind.CONTRACT,
            "provider:WPT",
            False,
            "61000000",
        ),
    ]
    partner = orgs["Police and Crime Commissioners (elected from November 2012)"]
    for ref, title, kind, where, published, price in specs:
        contract = m.Contract.objects.create(
            reference=ref,
            title=title,
            kind=kind,
            provider=orgs[where],
            round=rnd,
            starts=starts,
            ends=ends,
            published=published,
        )
        v1 = m.ContractVersion.objects.create(
            contract=contract,
            number=1,
            status=m.ContractVersion.Status.AGREED,
            annual_operating_price=Decimal(price),
            agreed_at=agreed_at,
        )
        setting = "custody" if kind == m.Contract.Kind.SLA or "ACI" in where else "community"
        for service, group, tier, harm, volume, unit in (
            ("thinking_skills_programme", "violence", "medium", "medium", 300, "1500"),
            ("employment_support", "acquisitive", "medium", "low", 800, "600"),
            ("drug_rehabilitation", "acquisitive", "high", "low", 450, "2000"),
        ):
            m.ScheduleLine.objects.create(
                version=v1,
                service_id=service,
                setting=setting,
                offence_group=group,
                risk_tier=tier,
                harm=harm,
                volume=volume,
                price=Decimal(unit) * volume,
            )
        m.TargetLevel.objects.create(
            version=v1,
            measure="Proven reoffending rate (binary, 12-month follow-up)",
            target=Decimal("0.3400" if setting == "community" else "0.4600"),
            unit="proportion",
            direction=m.TargetLevel.Direction.AT_MOST,
        )
        m.TargetLevel.objects.create(
            version=v1,
            measure="Offenders in employment at termination",
            target=Decimal("0.40"),
            unit="proportion",
            direction=m.TargetLevel.Direction.AT_LEAST,
        )
        for period, actual, people in (
            ("2012-Q1", "0.3610", 2400),
            ("2012-Q2", "0.3520", 3),
        ):
            m.PerformanceRecord.objects.create(
                contract=contract,
                measure="Proven reoffending rate (binary, 12-month follow-up)",
                period=period,
                actual=Decimal(actual),
                unit="proportion",
                people=people,
                target=Decimal("0.3400" if setting == "community" else "0.4600"),
            )
        if ref == "CON-LDN-2012":
            contract.shared_with.add(partner)
    aci = m.Contract.objects.get(reference="CON-ACI-2012")
    m.ActionPlan.objects.create(
        contract=aci,
        requirement="Service specification: safer custody — ACCT case reviews within 24 hours",
        actions="Recruit two case managers; weekly review of open ACCTs by the deputy director.",
        due=CALENDAR["action_plan_due"],
    )
    m.RiskEntry.objects.create(
        contract=aci,
        description="Staff turnover delays interventions",
        likelihood=4,
        impact=3,
        mitigation="Retention payments for programme facilitators",
        owner="Head of reducing reoffending",
    )


def _assurance(orgs: dict[str, m.Organisation], people: dict[str, Any]) -> None:
    leeds = m.Contract.objects.get(reference="SLA-LEI-2012")
    m.AssuranceReturn.objects.create(
        contract=leeds,
        kind=m.AssuranceReturn.Kind.SELF_AUDIT,
        period="2012-Q1",
        statement="Self-audit of the SLA's service specifications completed; no exceptions.",
        compliant=True,
        submitted_by=people["prison.leeds"],
    )
    m.ExternalAudit.objects.create(
        contract=m.Contract.objects.get(reference="CON-ACI-2012"),
        area="Safer custody",
        opinion=m.ExternalAudit.Opinion.LIMITED,
        findings="ACCT reviews late in 6 of 20 sampled cases.",
        commissioned_by=people["contracts"],
    )
    for where, level, published in (
        ("provider:LEI", 3, True),
        ("provider:ACI", 2, True),
        ("provider:LDN", 4, True),
        ("provider:WPT", 3, False),
    ):
        m.Rating.objects.create(
            organisation=orgs[where],
            year="2011-12",
            level=level,
            published=published,
            rationale="Synthetic demo rating.",
        )


def existing_accounts() -> tuple[DemoAccount, ...]:
    out = []
    for username, _, _ in DEMO_PEOPLE:
        membership = (
            m.Membership.objects.select_related("organisation", "user")
            .filter(user__username=username)
            .first()
        )
        if membership is not None:
            out.append(DemoAccount(username, membership.role, membership.organisation.name))
    return tuple(out)


def seed_demo(password: str | None = None) -> DemoSeed:
    """Create the demo organisations, people, round, proposals, contracts and assurance once.

    Every demo account gets ``password`` (a random one when not given, returned so that the
    caller can show it once). Returns ``created=False`` and no password when already seeded.
    """
    if m.Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER).exists():
        return DemoSeed(created=False, password=None, accounts=existing_accounts())
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic(), audit.acting_as("seed"):
        orgs = _organisations()
        accounts = _people(orgs, password)
        users = {u.username: u for u in get_user_model().objects.all()}
        rnd = _round(orgs)
        _proposals(rnd, orgs)
        _contracts(orgs, rnd)
        _assurance(orgs, users)
    return DemoSeed(created=True, password=password, accounts=accounts)
