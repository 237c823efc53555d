"""Meta-analysis against published metafor results, statsmodels, and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.meta_analysis import combine_effects

from commissioning.evidence.effect_sizes import (
    EffectSizeError,
    apply_odds_ratio,
    escalc,
    from_odds_ratio_ci,
    from_rate_difference_ci,
    from_rates,
    from_smd,
    from_table,
    rate_from_dcox,
    to_log_odds_ratio,
)
from commissioning.evidence.meta import MetaAnalysisError, meta_analyse

# Kacker (2004) data; metafor results as recorded in statsmodels' test suite (REFERENCES.md).
KACKER_Y = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]
KACKER_V = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]

# BCG vaccine trials, metafor's dat.bcg (tpos, tneg, cpos, cneg).
BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619],
    [505, 87886, 499, 87892], [29, 7470, 45, 7232], [17, 1699, 65, 1600],
    [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825],
])


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def test_kacker_dersimonian_laird_matches_metafor() -> None:
    r = meta_analyse(KACKER_Y, KACKER_V, "DL")
    assert r.estimate == pytest.approx(62.3901386044504, rel=1e-10)
    assert r.se == pytest.approx(0.245749668040304, rel=1e-8)
    assert r.tau2 == pytest.approx(0.288049246973751, rel=1e-8)
    assert r.ci_lower == pytest.approx(61.9084781058787, rel=1e-10)
    assert r.q == pytest.approx(24.801897741835, rel=1e-9)
    assert r.q_p == pytest.approx(0.00167935146372742, rel=1e-6)
    assert r.i2 == pytest.approx(67.744403741711, rel=1e-9)
    assert r.h2 == pytest.approx(3.10023721772938, rel=1e-9)


def test_kacker_paule_mandel_matches_metafor_including_tau2_based_i2() -> None:
    r = meta_analyse(KACKER_Y, KACKER_V, "PM")
    assert r.estimate == pytest.approx(62.4076199113286, rel=1e-10)
    assert r.tau2 == pytest.approx(0.705395309224248, rel=1e-7)
    assert r.se == pytest.approx(0.338030602684471, rel=1e-7)
    assert r.i2 == pytest.approx(83.7218626490482, rel=1e-7)
    assert r.h2 == pytest.approx(6.14320900751909, rel=1e-7)


def test_kacker_knapp_hartung_and_fixed_effect_match_metafor() -> None:
    kh = meta_analyse(KACKER_Y, KACKER_V, "DL", knha=True)
    assert kh.se == pytest.approx(0.29477605699879, rel=1e-8)
    assert kh.ci_lower == pytest.approx(61.710383798052, rel=1e-10)
    assert kh.ci_upper == pytest.approx(63.0698934108488, rel=1e-10)
    fe = meta_analyse(KACKER_Y, KACKER_V, "FE")
    assert fe.estimate == pytest.approx(62.5833970939982, rel=1e-12)
    assert fe.se == pytest.approx(0.107845705498231, rel=1e-9)


def test_bcg_log_risk_ratios_match_metafor() -> None:
    yi, vi = escalc("RR", *BCG.T)
    fe = meta_analyse(yi, vi, "FE")
    assert round(fe.estimate, 4) == -0.4303
    assert round(fe.ci_lower, 4) == -0.5097 and round(fe.ci_upper, 4) == -0.3509
    reml = meta_analyse(yi, vi, "REML")
    # metafor: rma(yi, vi, data=dat) prints -0.7145 (SE 0.1798), tau^2 0.3132, I^2 92.22%,
    # H^2 12.86, Q(df = 12) = 152.2330; confint: tau^2 0.1197 to 1.1115; predict -1.8667, 0.4377
    assert rel(reml.estimate, -0.7145) < 1e-4
    assert rel(reml.se, 0.1798) < 2e-4
    assert rel(reml.tau2, 0.3132) < 2e-4
    assert round(reml.i2, 2) == 92.22
    assert round(reml.h2, 2) == 12.86
    assert round(reml.q, 4) == 152.2330
    assert round(reml.tau2_ci_lower, 4) == 0.1197 and round(reml.tau2_ci_upper, 4) == 1.1115
    assert round(reml.pi_lower, 4) == -1.8667 and round(reml.pi_upper, 3) == 0.438
    dl = meta_analyse(yi, vi, "DL")
    assert round(dl.tau2, 4) == 0.3088 and round(dl.estimate, 4) == -0.7141


@pytest.mark.parametrize(("ours", "theirs"), [("DL", "dl"), ("PM", "pm")])
def test_agrees_with_statsmodels_combine_effects(ours: str, theirs: str) -> None:
    yi, vi = escalc("OR", *BCG.T)
    r = meta_analyse(yi, vi, ours)
    sm = combine_effects(yi, vi, method_re=theirs, atol=1e-12)
    assert r.tau2 == pytest.approx(sm.tau2, rel=1e-6)
    assert r.estimate == pytest.approx(sm.mean_effect_re, rel=1e-7)
    assert r.se == pytest.approx(sm.sd_eff_w_re, rel=1e-6)


def test_effect_sizes_from_tables_rates_and_intervals() -> None:
    es = from_table("OR", 30, 70, 40, 60)
    assert es.yi == pytest.approx(np.log(30 * 60 / (70 * 40)))
    assert es.vi == pytest.approx(1 / 30 + 1 / 70 + 1 / 40 + 1 / 60)
    assert from_rates("OR", 0.3, 100, 0.4, 100).yi == pytest.approx(es.yi)
    dcox = from_table("DCOX", 30, 70, 40, 60)
    assert dcox.yi == pytest.approx(es.yi / 1.65)
    rd = from_table("RD", 30, 70, 40, 60)
    assert rd.yi == pytest.approx(-0.1)
    ci = from_odds_ratio_ci(1.68, 1.20, 2.36)
    assert np.exp(ci.yi) == pytest.approx(1.68)
    assert ci.se == pytest.approx((np.log(2.36) - np.log(1.20)) / (2 * 1.959963984540054))
    # The Cox back-conversion and the odds-ratio application agree.
    assert rate_from_dcox(0.4, dcox.yi) == pytest.approx(apply_odds_ratio(0.4, es.yi))
    odds = 0.4 / 0.6 * np.exp(es.yi)
    assert apply_odds_ratio(0.4, es.yi) == pytest.approx(odds / (1 + odds))


def test_a_standardised_mean_difference_becomes_a_log_odds_ratio_by_pi_over_root_3() -> None:
    # Hand-computed: π/√3 = 1.813799; Wilson & Lipsey (2000) d = 0.18 (entered as -0.18, less
    # reoffending) → ln OR = -0.326484, OR 0.7215; an SE of 0.05 → 0.090690.
    es = from_smd(-0.18, 0.05)
    assert es.yi == pytest.approx(-0.326484, abs=1e-6)
    assert np.exp(es.yi) == pytest.approx(0.72146, abs=1e-5)
    assert es.se == pytest.approx(0.090690, abs=1e-6)
    assert np.isnan(from_smd(-0.18).vi)  # no SE published: the caller assumes one
    assert to_log_odds_ratio("SMD", -0.18, 0.05**2) == pytest.approx((es.yi, es.vi))
    assert to_log_odds_ratio("DCOX", -0.1, 0.01) == pytest.approx((-0.165, 0.01 * 1.65**2))
    with pytest.raises(EffectSizeError, match="RR"):
        to_log_odds_ratio("RR", -0.1, 0.01)


def test_justice_data_lab_rates_and_interval_give_a_log_odds_ratio_by_the_delta_method() -> None:
    # Hand-computed for Langley House Trust, 26% against 35%, a reduction of 2 to 14 points:
    # ln OR = ln(0.26/0.74) - ln(0.35/0.65) = -1.045968 - (-0.619039) = -0.426929;
    # SE(RD) = 0.12/(2·1.959964) = 0.030613; SE(ln OR) = 0.030613/(0.26·0.74) = 0.159110.
    es = from_rate_difference_ci(0.26, 0.35, 0.02, 0.14)
    assert es.yi == pytest.approx(-0.426929, abs=1e-6)
    assert es.se == pytest.approx(0.159110, abs=1e-6)
    # the interval may be written as an increase or a reduction: only its width counts
    assert from_rate_difference_ci(0.26, 0.35, -0.14, -0.02).se == pytest.approx(es.se)
    # with a comparison group much larger than the treated, the delta method agrees with the
    # exact variance of the 2×2 table (treated 231; comparison 100 times as large)
    table = from_rates("OR", 0.26, 231, 0.35, 23_100)
    z = 1.959963984540054
    width = 2 * z * np.sqrt(0.26 * 0.74 / 231 + 0.35 * 0.65 / 23_100)
    assert from_rate_difference_ci(0.26, 0.35, 0.0, width).se == pytest.approx(table.se, rel=0.02)
    with pytest.raises(EffectSizeError, match="between 0 and 1"):
        from_rate_difference_ci(26, 35, 2, 14)
    with pytest.raises(EffectSizeError, match="two different bounds"):
        from_rate_difference_ci(0.26, 0.35, 0.05, 0.05)


def test_bad_input_is_explained() -> None:
    with pytest.raises(MetaAnalysisError, match="positive"):
        meta_analyse([0.1, 0.2], [0.1, 0.0], "DL")
    with pytest.raises(MetaAnalysisError, match="method"):
        meta_analyse([0.1, 0.2], [0.1, 0.1], "XX")


studies = st.lists(
    st.tuples(st.floats(-3, 3), st.floats(0.01, 2.0)), min_size=2, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(studies)
def test_fixed_effect_lies_within_the_study_effects(data: list[tuple[float, float]]) -> None:
    y = [d[0] for d in data]
    v = [d[1] for d in data]
    fe = meta_analyse(y, v, "FE")
    assert min(y) - 1e-9 <= fe.estimate <= max(y) + 1e-9


@settings(max_examples=60, deadline=None)
@given(studies, st.sampled_from(["DL", "REML", "PM", "ML"]))
def test_tau2_is_never_negative(data: list[tuple[float, float]], method: str) -> None:
    r = meta_analyse([d[0] for d in data], [d[1] for d in data], method)
    assert r.tau2 >= 0
    assert r.tau2_ci_lower <= r.tau2_ci_upper + 1e-12


@settings(max_examples=60, deadline=None)
@given(studies)
def test_dersimonian_laird_equals_fixed_effect_when_q_at_most_df(
    data: list[tuple[float, float]],
) -> None:
    y = [d[0] for d in data]
    v = [d[1] for d in data]
    fe = meta_analyse(y, v, "FE")
    dl = meta_analyse(y, v, "DL")
    if fe.q <= fe.q_df:
        assert dl.tau2 == 0
        assert dl.estimate == pytest.approx(fe.estimate, rel=1e-12, abs=1e-12)
        assert dl.se == pytest.approx(fe.se)
    else:
        assert dl.tau2 > 0
