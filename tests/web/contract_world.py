"""Contracts for the contracts, assurance and API tests: the prison's published SLA and the
trust's unpublished contract shared with the partner, each with an agreed version 1."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from commissioning.web import models as m


@dataclass
class Contracts:
    sla: m.Contract
    contract: m.Contract


def build_contracts(orgs: dict[str, m.Organisation]) -> Contracts:
    sla = m.Contract.objects.create(
        reference="SLA-EXA",
        title="HMP Example SLA",
        kind=m.Contract.Kind.SLA,
        provider=orgs["prison"],
        starts=dt.date(2012, 4, 1),
        ends=dt.date(2013, 3, 31),
        published=True,
    )
    contract = m.Contract.objects.create(
        reference="CON-EXT",
        title="Example Trust contract",
        kind=m.Contract.Kind.CONTRACT,
        provider=orgs["trust"],
        starts=dt.date(2012, 4, 1),
        ends=dt.date(2013, 3, 31),
    )
    contract.shared_with.add(orgs["partner"])
    for c, setting in ((sla, "custody"), (contract, "community")):
        v1 = m.ContractVersion.objects.create(
            contract=c,
            number=1,
            status=m.ContractVersion.Status.AGREED,
            annual_operating_price=Decimal("1000000.00"),
            agreed_at=dt.datetime(2012, 3, 1, tzinfo=dt.UTC),
        )
        m.ScheduleLine.objects.create(
            version=v1,
            service_id="thinking_skills_programme",
            setting=setting,
            offence_group="violence",
            risk_tier="medium",
            harm="medium",
            volume=300,
            price=Decimal("450000.00"),
        )
        m.TargetLevel.objects.create(
            version=v1,
            measure="Proven reoffending rate",
            target=Decimal("0.3400"),
            unit="proportion",
            direction=m.TargetLevel.Direction.AT_MOST,
        )
        m.PerformanceRecord.objects.create(
            contract=c,
            measure="Proven reoffending rate",
            period="2012-Q1",
            actual=Decimal("0.3610"),
            target=Decimal("0.3400"),
            unit="proportion",
            people=200,
        )
        m.PerformanceRecord.objects.create(
            contract=c,
            measure="Proven reoffending rate",
            period="2012-Q2",
            actual=Decimal("0.3520"),
            target=Decimal("0.3400"),
            unit="proportion",
            people=3,
        )
    return Contracts(sla, contract)
