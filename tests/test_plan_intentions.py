"""The 38 commissioning intentions as data."""

from __future__ import annotations

from typer.testing import CliRunner

from commissioning.plan.intentions import load_intentions
from commissioning.plan.rules import RULES


def test_there_are_38_intentions_10_co_commissioned_15_community_13_custodial() -> None:
    items = load_intentions()
    groups = [i.group for i in items]
    assert len(items) == 38
    assert (groups.count("co_commissioning"), groups.count("community"),
            groups.count("custody")) == (10, 15, 13)


def test_intentions_keep_the_documents_wording() -> None:
    items = load_intentions()
    assert items.get("custody 4").text.startswith(
        "Disinvest in non-core rehabilitation services for male prisoners who present a low "
        "risk of reoffending and low risk of harm to others")
    assert items.get("community 5").text == "Disinvest in ineffective services and interventions"
    assert items.get("co_commissioning 10").text == (
        "Ensure that all offenders have access to services that assist them to manage their "
        "finances")


def test_every_rule_is_known_and_every_unchecked_intention_says_why() -> None:
    for item in load_intentions():
        if item.rule is None:
            assert item.not_checked
        else:
            assert item.rule["kind"] in RULES
    checked = {i.id for i in load_intentions().checkable()}
    for required in ("community 1", "community 2", "community 3", "community 4", "community 5",
                     "custody 1", "custody 2", "custody 4", "custody 5", "custody 6",
                     "custody 7"):
        assert required in checked


def test_commission_intentions_lists_them() -> None:
    from commissioning.cli.app import _register, app

    _register()
    result = CliRunner().invoke(app, ["intentions"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "custody 13" in result.output
    assert "co_commissioning 1" in result.output
