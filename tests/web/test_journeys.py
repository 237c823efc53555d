"""Journeys in headless Chromium on the live server, with axe-core on every page visited:

- a provider starts a proposal, adds a service, uploads its assessments extract and sees its
  population profiled, then submits; a commissioner scores it on every quality criterion,
  moderates and awards it with reasons (on the demo data: every other provider's bids are there);
- another provider who pastes the first one's proposal URL gets the GOV.UK 'Page not found'
  page, and the refusal is recorded.

Deselect with ``-m "not browser"``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.io_support import records, write
from tests.web.conftest import DEMO_PASSWORD, PASSWORD, People, axe_violations, follow, sign_in_page

from commissioning.web import models as m

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def accessible(page: Any, visited: list[str]) -> None:
    """No WCAG 2.2 AA violations on the page as it is now; note the page as visited."""
    visited.append(page.url)
    assert axe_violations(page) == [], page.url


def press(page: Any, button: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    follow(page, f"button:has-text('{button}')")


def assessments_extract(path: Path) -> Path:
    """A valid 12-person assessments extract: 9 men and 3 women with very high RoSH."""
    men = records("assessments", 9)
    women = records("assessments", 3, sex="female", rosh="very_high")
    for i, rec in enumerate(women):
        rec["offender_id"] = f"W{i}"
    return write(men + women, path)


def test_a_provider_submits_with_an_upload_and_a_commissioner_evaluates_and_awards(
    page: Any, demo: Any, tmp_path: Path
) -> None:
    visited: list[str] = []
    rnd = m.CommissioningRound.objects.get(status=m.CommissioningRound.Status.OPEN)

    # --- the provider (HMP Leeds, a public-sector prison) ------------------------------------
    sign_in_page(page, "prison.leeds", DEMO_PASSWORD)
    assert page.url.endswith("/dashboard/")
    accessible(page, visited)
    page.goto("/proposals/new/")
    accessible(page, visited)
    page.check(f"input[name=round][value='{rnd.pk}']")
    page.fill("#id_title", "Leeds resettlement and thinking skills")
    press(page, "Start proposal")
    assert page.locator("h1").inner_text() == "Leeds resettlement and thinking skills"
    proposal = m.Proposal.objects.get(title="Leeds resettlement and thinking skills")
    assert (proposal.provider.provider_id, proposal.status) == ("LEI", "draft")
    accessible(page, visited)

    follow(page, "text=Add a service")
    accessible(page, visited)
    page.select_option("#id_service_id", "thinking_skills_programme")
    page.check("input[name=setting][value='custody']")
    page.check("input[name=offence_group][value='violence']")
    page.check("input[name=risk_tier][value='high']")
    page.check("input[name=harm][value='medium']")
    page.fill("#id_volume", "120")
    page.fill("#id_unit_price", "1850")
    press(page, "Save service")
    assert page.url.endswith(f"/proposals/{proposal.pk}/")
    line = proposal.lines.get()
    assert (line.service_id, line.volume, line.unit_price) == (
        "thinking_skills_programme",
        120,
        Decimal("1850.00"),
    )
    assert "£222,000.00" in page.locator(".govuk-summary-list").inner_text()
    accessible(page, visited)

    follow(page, "text=Upload your assessments extract")
    accessible(page, visited)
    page.set_input_files("#id_file", str(assessments_extract(tmp_path / "leeds.csv")))
    press(page, "Upload and profile")
    assert page.url.endswith(f"/proposals/{proposal.pk}/")
    assert page.locator("caption", has_text="Table 1: risk profile").is_visible()
    assert page.locator("caption", has_text="Table 2: criminogenic needs").is_visible()
    proposal.refresh_from_db()
    assert (proposal.profile_rows, proposal.profile_source) == (12, "leeds.csv")
    accessible(page, visited)

    # the round has lots: the proposal answers one (the same as Leeds's other bid)
    lot = rnd.lots.get(region="Yorkshire and the Humber")
    page.goto(f"/proposals/{proposal.pk}/edit/")
    accessible(page, visited)
    page.check(f"input[name=lot][value='{lot.pk}']")
    press(page, "Save")
    proposal.refresh_from_db()
    assert proposal.lot_id == lot.pk

    follow(page, "text=Check and submit")
    accessible(page, visited)
    press(page, "Submit proposal")
    proposal.refresh_from_db()
    assert proposal.status == m.Proposal.Status.SUBMITTED
    assert "Submitted" in page.locator(".govuk-summary-list").inner_text()
    accessible(page, visited)
    follow(page, "text=Sign out")

    # --- the commissioner --------------------------------------------------------------------
    sign_in_page(page, "commissioner", DEMO_PASSWORD)
    page.goto(f"/competition/rounds/{rnd.pk}/")
    ranked = page.get_by_role("link", name="Leeds resettlement and thinking skills", exact=True)
    assert ranked.get_attribute("href") == f"/proposals/{proposal.pk}/"
    accessible(page, visited)
    quality = list(rnd.criteria.filter(kind=m.Criterion.Kind.QUALITY).order_by("pk"))
    assert len(quality) == 3

    page.goto(f"/competition/proposals/{proposal.pk}/score/")
    accessible(page, visited)
    for criterion, score in zip(quality, ("3", "4", "2"), strict=True):
        page.check(f"input[name=score_{criterion.pk}][value='{score}']")
        page.fill(f"#id_note_{criterion.pk}", f"Evaluator's view of {criterion.name}")
    press(page, "Save scores")
    scores = {s.criterion_id: s.score for s in m.Score.objects.filter(proposal=proposal)}
    assert scores == {quality[0].pk: 3, quality[1].pk: 4, quality[2].pk: 2}
    accessible(page, visited)

    page.goto(f"/competition/proposals/{proposal.pk}/moderate/")
    accessible(page, visited)
    for criterion in quality:
        page.check(f"input[name=score_{criterion.pk}][value='3']")
    page.fill(f"#id_note_{quality[1].pk}", "Moderated down: the plan relies on one site")
    press(page, "Save moderated scores")
    agreed = {s.criterion_id: s.score for s in m.ModeratedScore.objects.filter(proposal=proposal)}
    assert agreed == {c.pk: 3 for c in quality}
    accessible(page, visited)

    page.goto(f"/competition/rounds/{rnd.pk}/award/?lot={lot.pk}")
    accessible(page, visited)
    page.check(f"input[name=proposal][value='{proposal.pk}']")
    page.fill("#id_reasons", "Best value: strong evidence-based delivery at a fair price")
    press(page, "Record award")
    award = m.Award.objects.get(proposal=proposal)
    assert award.reasons == "Best value: strong evidence-based delivery at a fair price"
    assert award.decided_by.username == "commissioner"
    proposal.refresh_from_db()
    assert proposal.status == m.Proposal.Status.AWARDED
    assert page.url.endswith(f"/competition/rounds/{rnd.pk}/")
    accessible(page, visited)

    assert len(visited) == 17
    # No script errors and no CSP violations on any page.
    assert [e for e in page.errors if not e.startswith("Failed to load resource")] == []


def test_another_provider_pasting_a_proposal_url_gets_page_not_found(
    page: Any, people: People
) -> None:
    bid = m.Proposal.objects.create(
        round=m.CommissioningRound.objects.create(year="2012-13", title="Round", status="open"),
        provider=people.orgs["prison"],
        title="HMP Example's confidential bid",
        status=m.Proposal.Status.SUBMITTED,
    )
    sign_in_page(page, "other_provider", PASSWORD)
    response = page.goto(f"/proposals/{bid.pk}/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert "confidential" not in page.content()
    assert axe_violations(page) == []
    denial = m.AccessDenial.objects.get()
    assert (denial.username, denial.role, denial.path) == (
        "other_provider",
        "provider",
        f"/proposals/{bid.pk}/",
    )
    assert denial.organisation == "Example Probation Trust"
