"""The ``partners`` reference table: the co-commissioning partners the 2012-13 document names.

Organisations only (no personal names), each with the passage of the Commissioning Intentions
2012-13 that names it, so a reader can check why it is a partner.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from commissioning.schema.contract import PARTNER_KINDS, PARTNERS


@dataclass(frozen=True)
class Partner:
    """A co-commissioning partner and where the document names it."""

    partner_id: str
    name: str
    kind: str
    region: str
    reference: str


#: The co-commissioners of Commissioning Intentions 2012-13 ("Co-Commissioned Services").
CO_COMMISSIONING_PARTNERS: tuple[Partner, ...] = (
    Partner("department_of_health", "Department of Health", "health", "England",
            "Co-commissioning intentions 1 and 3 (Offender Health Directorate; PD pathway)"),
    Partner("nhs_primary_care_trusts", "NHS Primary Care Trusts (operating in clusters)",
            "health", "England",
            "Co-commissioning intentions 1 and 4 (healthcare; substance misuse re-tendering)"),
    Partner("nhs_specialised_commissioning_groups", "NHS Specialised Commissioning Groups",
            "health", "England", "Co-commissioning intention 3 (personality disorder services)"),
    Partner("drug_and_alcohol_action_teams", "Drug and Alcohol Action Teams", "health",
            "England", "Co-commissioning intention 4 (psycho-social substance misuse services)"),
    Partner("local_authority_adult_social_care", "Local authorities (Directors of Adult Social "
            "Care)", "local_authority", "England", "Co-commissioning intention 2"),
    Partner("local_housing_authorities", "Local housing authorities and housing providers",
            "housing", "England and Wales",
            "Co-commissioning intention 9 (housing related problems)"),
    Partner("community_safety_partnerships", "Crime and Disorder Reduction (Community Safety) "
            "Partnerships", "local_authority", "England and Wales",
            "Introduction, footnote 11 (responsible authorities' strategic assessment)"),
    Partner("police_and_crime_commissioners", "Police and Crime Commissioners (elected from "
            "November 2012)", "police_and_crime_commissioner", "England and Wales",
            "Context for 2012-13 (elected Police and Crime Commissioners from November 2012)"),
    Partner("department_for_work_and_pensions", "Department for Work and Pensions (Work "
            "Programme)", "employment_and_benefits", "England and Wales",
            "Co-commissioning intention 6 (day one mandation of prison leavers)"),
    Partner("jobcentre_plus", "Jobcentre Plus", "employment_and_benefits", "England and Wales",
            "Co-commissioning intention 6 (Jobcentre Plus staff in establishments)"),
    Partner("noms_cfo", "NOMS Co-Financing Organisation (European Social Fund)",
            "employment_and_benefits", "England and Wales", "Co-commissioning intention 7"),
    Partner("skills_funding_agency", "Skills Funding Agency (Offender Learning and Skills "
            "Service)", "skills_and_education", "England",
            "Co-commissioning intention 5 (OLASS 4); glossary"),
    Partner("department_for_education", "Department for Education (Families with Multiple "
            "Problems)", "other", "England", "Co-commissioning intention 8"),
    Partner("money_advice_service", "Money Advice Service", "other", "England and Wales",
            "Co-commissioning intention 10 (finance, benefit and debt)"),
    Partner("british_bankers_association", "British Bankers' Association", "other",
            "England and Wales", "Co-commissioning intention 10 (basic banking facilities)"),
    Partner("welsh_government", "Welsh Government", "other", "Wales",
            "Co-Commissioned Services (devolved health, social and other services in Wales)"),
)


def partners_table() -> pa.Table:
    """The ``partners`` table in contract column order."""
    for p in CO_COMMISSIONING_PARTNERS:
        if p.kind not in PARTNER_KINDS:
            raise ValueError(f"partner {p.partner_id!r}: kind {p.kind!r} not in {PARTNER_KINDS}")
    cols = {
        c: pa.array([getattr(p, c) for p in CO_COMMISSIONING_PARTNERS], pa.string())
        for c in PARTNERS.column_names
    }
    return pa.table(cols)
