"""The demo content is data (``web/demo/*.yaml``) loaded through the pages' own forms, walls
and service functions (issue 15.8): the seeded database equals the files; a bad entry is
refused naming its file, key and rule, and nothing is created; every demo proposal carries an
uploaded (synthetic) population profile and a plan that matches its subcontracts; the seed
calls the same service functions, and leaves the same audit entries, as a person using the
pages."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from commissioning.reference.partners import CO_COMMISSIONING_PARTNERS
from commissioning.reference.providers import providers_table
from commissioning.secure.profiling import population, published_tables
from commissioning.secure.rounds import financial_year_start
from commissioning.synth.assessments import provider_sample
from commissioning.web import models as m
from commissioning.web import seed, services
from commissioning.web.policy import parameters

pytestmark = pytest.mark.django_db


def content() -> dict[str, Any]:
    return {name: node.value for name, node in seed.load_content().items()}


def _person_org(people: list[dict[str, Any]], username: str) -> m.Organisation:
    row = next(p for p in people if p["username"] == username)
    if "provider" in row:
        return m.Organisation.objects.get(provider_id=row["provider"])
    return m.Organisation.objects.get(name=row["organisation"])


def test_the_seeded_database_equals_the_demo_files(demo: Any) -> None:
    c = content()
    orgs, people = c["organisations.yaml"], c["people.yaml"]["people"]
    year = c["round.yaml"]["year"]
    reference = len(providers_table(parameters().at(financial_year_start(year))))
    assert m.Organisation.objects.count() == (
        len(orgs["organisations"]) + reference + len(CO_COMMISSIONING_PARTNERS))
    for row in orgs["organisations"]:
        org = m.Organisation.objects.get(name=row["name"])
        assert (org.kind, org.provider_id, org.region) == (
            row["kind"], row.get("provider_id", ""), row.get("region", ""))
    assert {(ms.user.username, ms.role, ms.organisation) for ms in
            m.Membership.objects.select_related("user", "organisation")} == {
        (p["username"], p["role"], _person_org(people, p["username"])) for p in people}
    assert [a.username for a in demo.accounts] == [p["username"] for p in people]

    r = c["round.yaml"]
    rnd = m.CommissioningRound.objects.get()
    assert (rnd.year, rnd.title, rnd.opens, rnd.closes, rnd.status) == (
        r["year"], r["title"], r["opens"], r["closes"], "open")
    assert rnd.envelope.budget == Decimal(str(parameters().value("secure.agency_budget",
                                                                  rnd.starts)))
    assert [(x.name, x.kind, x.weight, x.guidance) for x in rnd.criteria.order_by("pk")] == [
        (x["name"], x["kind"], Decimal(x["weight"]), x["guidance"]) for x in r["criteria"]]
    assert [(lot.number, lot.service_group, lot.region, lot.setting, lot.budget.amount)
            for lot in rnd.lots.order_by("number")] == [
        (i, x["service_group"], x["region"], x["setting"], Decimal(x["budget"]))
        for i, x in enumerate(r["lots"], start=1)]

    p = c["proposals.yaml"]
    assert m.Proposal.objects.count() == len(p["proposals"])
    for row in p["proposals"]:
        proposal = m.Proposal.objects.get(title=row["title"])
        by = get_user_model().objects.get(username=row["by"])
        assert proposal.provider == _person_org(people, row["by"])
        assert proposal.created_by == by
        assert proposal.lot is not None and proposal.lot.number == row["lot"]
        assert (proposal.delivery_approach, proposal.subcontracting_plan) == (
            row["delivery_approach"], row["subcontracting_plan"])
        assert proposal.status == ("submitted" if row["submit"] else "draft")
        assert proposal.submitted_at == (p["submitted_at"] if row["submit"] else None)
        assert Counter(
            (x.service_id, x.setting, x.offence_group, x.risk_tier, x.harm, x.women_only,
             x.volume, x.unit_price, x.rationale) for x in proposal.lines.all()) == Counter(
            (x["service_id"], x["setting"], x["offence_group"], x["risk_tier"], x["harm"],
             x.get("women_only", False), x["volume"], Decimal(x["unit_price"]),
             x.get("rationale", "")) for x in row["lines"])
        assert [(s.subcontractor, s.services, s.annual_value)
                for s in proposal.subcontracts.order_by("pk")] == [
            (s["subcontractor"], s["services"], Decimal(s["annual_value"]))
            for s in row.get("subcontracts", [])]
        assert proposal.profile_rows == row["profile"]["assessments"]
        extract = f"synthetic-assessments-{proposal.provider.provider_id}.csv"
        assert proposal.profile_source == extract

    k = c["contracts.yaml"]
    assert m.Contract.objects.count() == len(k["contracts"])
    for row in k["contracts"]:
        contract = m.Contract.objects.get(reference=row["reference"])
        assert (contract.title, contract.kind, contract.provider.provider_id, contract.starts,
                contract.ends, contract.published) == (
            row["title"], row["kind"], row["provider"], row["starts"], row["ends"],
            row.get("published", False))
        assert contract.round == rnd
        variations = row.get("variations", [])
        versions = list(contract.versions.order_by("number"))
        assert [v.number for v in versions] == list(range(1, len(variations) + 2))
        assert all(v.status == "agreed" for v in versions)
        version = versions[0]
        assert (version.number, version.status, version.agreed_at,
                version.annual_operating_price) == (
            1, "agreed", k["agreed_at"], Decimal(row["annual_operating_price"]))
        assert [(x.service_id, x.setting, x.offence_group, x.risk_tier, x.harm, x.volume,
                 x.price) for x in version.lines.order_by("pk")] == [
            (x["service_id"], x["setting"], x["offence_group"], x["risk_tier"], x["harm"],
             x["volume"], Decimal(x["price"])) for x in row["schedule"]]
        assert [(x.measure, x.target, x.unit, x.direction)
                for x in version.targets.order_by("pk")] == [
            (x["measure"], Decimal(str(x["target"])), x["unit"], x["direction"])
            for x in row["targets"]]
        # each variation: the version before it, less the lines removed, plus those added
        keys = ("service_id", "setting", "offence_group", "risk_tier", "harm")
        lines = [(x["service_id"], x["setting"], x["offence_group"], x["risk_tier"], x["harm"],
                  x["volume"], Decimal(x["price"])) for x in row["schedule"]]
        price = Decimal(row["annual_operating_price"])
        recorded = list(contract.variations.order_by("to_version__number"))
        assert len(recorded) == len(variations)
        for i, (var, after) in enumerate(zip(variations, versions[1:], strict=True)):
            gone = [tuple(x[k] for k in keys) for x in var.get("remove_schedule", [])]
            lines = [x for x in lines if x[:5] not in gone] + [
                (x["service_id"], x["setting"], x["offence_group"], x["risk_tier"], x["harm"],
                 x["volume"], Decimal(x["price"])) for x in var.get("schedule", [])]
            price = Decimal(var.get("annual_operating_price", price))
            assert sorted((x.service_id, x.setting, x.offence_group, x.risk_tier, x.harm,
                           x.volume, x.price) for x in after.lines.all()) == sorted(lines)
            assert (after.agreed_at, after.annual_operating_price) == (var["agreed_at"], price)
            v = recorded[i]
            assert (v.from_version, v.to_version, v.reason, v.agreed_by.username) == (
                versions[i], after, " ".join(var["reason"].split()), var["by"])
        assert sorted(o.name for o in contract.shared_with.all()) == sorted(
            row.get("shared_with", []))
        assert [(a.requirement, a.actions, a.due, a.status)
                for a in contract.action_plans.order_by("pk")] == [
            (a["requirement"], a["actions"], a["due"], "open")
            for a in row.get("action_plans", [])]

    a = c["assurance.yaml"]
    got = {(x.contract.reference, x.measure, x.period, x.actual, x.people, x.target)
           for x in m.PerformanceRecord.objects.select_related("contract")}
    targets = {(t.version.contract.reference, t.measure): t.target
               for t in m.TargetLevel.objects.select_related("version__contract")}
    assert got == {(x["contract"], x["measure"], x["period"], Decimal(str(x["actual"])),
                    x["people"], targets[x["contract"], x["measure"]])
                   for x in a["performance"]}
    assert [(x.contract.reference, x.description, x.likelihood, x.impact, x.owner)
            for x in m.RiskEntry.objects.order_by("pk")] == [
        (x["contract"], x["description"], x["likelihood"], x["impact"], x["owner"])
        for x in a["risks"]]
    assert [(x.contract.reference, x.kind, x.period, x.compliant, x.submitted_by.username)
            for x in m.AssuranceReturn.objects.order_by("pk")] == [
        (x["contract"], x["kind"], x["period"], x["compliant"], x["by"]) for x in a["returns"]]
    assert [(x.contract.reference, x.area, x.opinion, x.findings, x.commissioned_by.username)
            for x in m.ExternalAudit.objects.order_by("pk")] == [
        (x["contract"], x["area"], x["opinion"], x["findings"], x["by"]) for x in a["audits"]]
    assert {(x.organisation.provider_id, x.year, x.level, x.published)
            for x in m.Rating.objects.all()} == {
        (x["provider"], x["year"], x["level"], x["published"]) for x in a["ratings"]}


def test_every_demo_proposal_has_an_uploaded_profile_and_its_plan_matches_its_subcontracts(
    demo: Any,
) -> None:
    for proposal in m.Proposal.objects.select_related("provider", "lot"):
        # a population for criterion 1 to score, profiled from a synthetic upload
        assert proposal.profile is not None and proposal.profile_rows, proposal.title
        assert proposal.profile_source.startswith("synthetic-")
        assert len(proposal.profile_sha256) == 64
        assert proposal.lot is not None
        risk = proposal.profile["risk"]
        assert sum(r["offenders"] for r in risk) == proposal.profile_rows
        assert {r["setting"] for r in risk if r["offenders"]} == {proposal.lot.setting}
        assert published_tables(proposal.profile, parameters()).risk
        assert population(proposal.profile) is not None
        # the plan names every subcontract it has, and says so when it has none
        subs = list(proposal.subcontracts.all())
        plan = proposal.subcontracting_plan.lower()
        if subs:
            assert all(s.subcontractor.lower() in plan for s in subs), proposal.title
        else:
            assert proposal.subcontracting_plan.startswith("No subcontracting"), proposal.title
        # ... and the page shows them to the provider and (once submitted) the commissioner
        for username in ("commissioner", proposal.created_by.username):
            if username == "commissioner" and proposal.status != "submitted":
                continue
            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            page = client.get(reverse("proposal-detail", args=[proposal.pk])).content.decode()
            assert ("No subcontracts." in page) == (not subs), (username, proposal.title)
            assert all(s.subcontractor in page for s in subs)
            assert "Table 1: risk profile" in page
    women = m.Proposal.objects.get(provider__provider_id="VS02")
    assert all(r["female"] == r["offenders"] for r in women.profile["risk"])
    # the charity's women include some of medium or high risk of harm whom no line serves
    assert women.flags.filter(intention="community 4").count() == 1


def test_the_synthetic_extract_is_the_same_each_time_and_of_the_setting_asked() -> None:
    policy = parameters().at(financial_year_start("2012-13"))
    one = provider_sample(policy, 120, 7, setting="custody", provider_id="LEI",
                          region="North East and Yorkshire", sex="male")
    assert one.equals(provider_sample(policy, 120, 7, setting="custody", provider_id="LEI",
                                      region="North East and Yorkshire", sex="male"))
    assert one.num_rows == 120
    assert set(one["setting"].to_pylist()) == {"custody"}
    assert set(one["sex"].to_pylist()) == {"male"}
    assert set(one["provider_id"].to_pylist()) == {"LEI"}
    assert pc.count_distinct(one["offender_id"]).as_py() == 120
    assert not one.equals(provider_sample(policy, 120, 8, setting="custody",
                                          provider_id="LEI", region="x", sex="male"))


# --- a bad entry ---------------------------------------------------------------------------

def _edit(folder: Path, file: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / file
    value = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(yaml.safe_dump(value, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")


def _set(path: list[Any], new: Any) -> Callable[[dict[str, Any]], None]:
    def change(value: dict[str, Any]) -> None:
        for key in path[:-1]:
            value = value[key]
        value[path[-1]] = new

    return change


BAD_ENTRIES = [
    # (file, path to the value, the new value, the key named, the rule named, words of the
    #  message)
    ("people.yaml", ["people", 3, "role"], "auditor", "people[3].role",
     "role_fits_organisation", "cannot belong to a probation trust"),
    ("people.yaml", ["people", 0, "colour"], "blue", "people[0].colour", "known_keys",
     "'colour' is not a key here"),
    ("round.yaml", ["criteria", 3, "weight"], 30, "criteria",
     "the page's form (CriterionFormSet)", "100"),
    ("round.yaml", ["lots", 1, "setting"], "moon", "lots[1].setting",
     "the page's form (LotForm)", "moon"),
    ("proposals.yaml", ["proposals", 1, "lines", 2, "volume"], 0,
     "proposals[1].lines[2].volume", "number_below_minimum", "must be 1 or more"),
    ("proposals.yaml", ["proposals", 0, "lines", 0, "service_id"], "moon_walking",
     "proposals[0].lines[0].service_id", "service_not_offered", "'moon_walking'"),
    ("proposals.yaml", ["proposals", 2, "subcontracting_plan"], "We subcontract a lot.",
     "proposals[2].subcontracting_plan", "plan_matches_subcontracts", "No subcontracting"),
    ("proposals.yaml", ["proposals", 0, "by"], "contracts", "proposals[0].by", "permission",
     "only providers write proposals"),
    ("proposals.yaml", ["proposals", 3, "profile", "assessments"], 0,
     "proposals[3].profile.assessments", "positive_whole_number", "1 or more"),
    ("proposals.yaml", ["proposals", 3, "lot"], 9, "proposals[3].lot", "known_lot",
     "no lot number 9"),
    ("contracts.yaml", ["contracts", 0, "kind"], "contract", "contracts[0].kind",
     "the page's form (ContractForm)", "the Crown cannot contract with itself"),
    ("contracts.yaml", ["contracts", 1, "by"], "prison.altcourse", "contracts[1].by",
     "permission", "only commissioners and contract managers"),
    ("contracts.yaml", ["contracts", 2, "ends"], dt.date(2012, 1, 1), "contracts[2].ends",
     "the page's form (ContractForm)", "end date must be after the start date"),
    ("contracts.yaml", ["contracts", 0, "variations", 0, "reason"], " ",
     "contracts[0].variations[0].reason", "the page's form (AgreeVersionForm)",
     "Enter the reason for the variation"),
    ("contracts.yaml", ["contracts", 0, "variations", 0, "remove_schedule", 0, "risk_tier"],
     "low", "contracts[0].variations[0].remove_schedule[0]", "known_line",
     "no schedule line with these keys"),
    ("contracts.yaml", ["contracts", 0, "variations", 0, "by"], "prison.leeds",
     "contracts[0].variations[0].by", "permission", "may not create this ContractVersion"),
    ("assurance.yaml", ["performance", 0, "measure"], "Smiles", "performance[0].measure",
     "the page's form (PerformanceForm)", "Smiles"),
    ("assurance.yaml", ["returns", 0, "by"], "trust.london", "returns[0].by", "permission",
     "does not manage SLA-LEI-2012"),
    ("assurance.yaml", ["ratings", 0, "level"], 5, "ratings[0].level",
     "the page's form (RatingForm)", "5"),
]


@pytest.mark.parametrize(("file", "path", "new", "key", "rule", "words"), BAD_ENTRIES,
                         ids=[f"{b[0]}:{b[3]}" for b in BAD_ENTRIES])
def test_a_bad_entry_is_refused_naming_file_key_and_rule_and_nothing_is_created(
    tmp_path: Path, settings: Any, file: str, path: list[Any], new: Any, key: str,
    rule: str, words: str,
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    folder = tmp_path / "demo"
    shutil.copytree(seed.DEMO_DIR, folder)
    _edit(folder, file, _set(path, new))
    with pytest.raises(seed.DemoContentError) as caught:
        seed.seed_demo(password="pw", content=folder)
    error = caught.value
    assert (error.file, error.key) == (file, key), str(error)
    assert rule in error.rule and words in error.message, str(error)
    assert str(error).startswith(f"{file}: {key}: ")
    # one transaction: nothing of the demo is left, not even an audit entry
    for model in (m.Organisation, m.Membership, m.CommissioningRound, m.Proposal,
                  m.Contract, m.AuditEntry, m.AccessDenial):
        assert not model.objects.exists(), model.__name__
    assert not get_user_model().objects.exists()


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(seed.DEMO_DIR, folder)
    (folder / "contracts.yaml").write_text("contracts: [unclosed\n", encoding="utf-8")
    with pytest.raises(seed.DemoContentError) as caught:
        seed.seed_demo(content=folder)
    assert (caught.value.file, caught.value.rule) == ("contracts.yaml", "yaml")
    assert not m.Organisation.objects.exists()


# --- the same methods and the same audit entries as the pages ------------------------------

SPIED = ("start_round", "advance_round", "start_proposal", "apply_price_schedule",
         "upload_profile", "submit_proposal", "create_contract", "draft_variation",
         "agree_version", "publish_contract")


def test_the_seed_calls_the_service_functions_the_pages_call(
    settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    calls: Counter[str] = Counter()
    for name in SPIED:
        original = getattr(services, name)

        def spied(*args: Any, _name: str = name, _original: Any = original,
                  **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(services, name, spied)
    seed.seed_demo(password="pw")
    c = content()
    proposals, contracts = c["proposals.yaml"]["proposals"], c["contracts.yaml"]["contracts"]
    assert calls == {
        "start_round": 1, "advance_round": 1,
        "start_proposal": len(proposals), "apply_price_schedule": len(proposals),
        "upload_profile": len(proposals),
        "submit_proposal": sum(1 for p in proposals if p["submit"]),
        "create_contract": len(contracts),
        "draft_variation": sum(len(k.get("variations", [])) for k in contracts),
        "agree_version": len(contracts) + sum(len(k.get("variations", [])) for k in contracts),
        "publish_contract": sum(1 for k in contracts if k.get("published")),
    }
    # every change after the organisations and people is recorded as its person's
    actors = set(m.AuditEntry.objects.values_list("actor", flat=True))
    assert actors == {"seed", "commissioner", "contracts", *(p["by"] for p in proposals),
                      *(r["by"] for r in c["assurance.yaml"]["returns"])}
    for proposal in m.Proposal.objects.all():
        assert set(_entries_of(proposal).values_list("actor", flat=True)) == {
            proposal.created_by.username}


def _entries_of(proposal: m.Proposal) -> Any:
    """The audit entries of a proposal and of its lines, subcontracts and flags."""
    from django.db.models import Q

    return m.AuditEntry.objects.filter(
        Q(model="web.Proposal", object_pk=str(proposal.pk))
        | Q(model__in=("web.ProposalLine", "web.Subcontract", "web.ProposalFlag"),
            data__proposal_id=proposal.pk)).order_by("seq")


def test_a_seeded_proposal_leaves_the_audit_entries_of_the_same_proposal_made_on_the_pages(
    demo: Any,
) -> None:
    """The women's charity's demo proposal, made again on the pages by another provider from
    the same file: the same changes, in the same order."""
    row = next(p for p in content()["proposals.yaml"]["proposals"] if p["by"] == "charity")
    seeded = m.Proposal.objects.get(title=row["title"])
    rnd = seeded.round
    client = Client()
    client.force_login(get_user_model().objects.get(username="trust.wales"))
    assert client.post(reverse("proposal-create"),
                       {"round": rnd.pk, "title": "Made on the pages"}).status_code == 302
    made = m.Proposal.objects.get(title="Made on the pages")
    lot = rnd.lots.get(number=row["lot"])
    assert client.post(reverse("proposal-edit", args=[made.pk]), {
        "title": "Made on the pages", "lot": lot.pk,
        "delivery_approach": row["delivery_approach"],
        "subcontracting_plan": row["subcontracting_plan"]}).status_code == 302
    schedule = seed._schedule_csv(seed.Node("proposals.yaml", "", row).items("lines"))
    assert client.post(reverse("proposal-prices", args=[made.pk]), {
        "mode": "replace",
        "file": SimpleUploadedFile("schedule.csv", schedule)}).status_code == 302
    extract, _ = seed._extract(seed.Node("proposals.yaml", "", row["profile"]), seeded)
    assert client.post(reverse("proposal-upload", args=[made.pk]), {
        "file": SimpleUploadedFile("extract.csv", extract)}).status_code == 302
    assert client.post(reverse("proposal-submit", args=[made.pk])).status_code == 302
    made.refresh_from_db()
    assert made.profile == seeded.profile and made.profile_sha256 == seeded.profile_sha256

    def changes(proposal: m.Proposal) -> list[tuple[str, str]]:
        return [(e.model, e.action) for e in _entries_of(proposal)]

    assert changes(made) == changes(seeded)
    assert set(_entries_of(made).values_list("actor", flat=True)) == {"trust.wales"}
