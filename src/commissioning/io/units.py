"""The unit of every numeric column the product exports, said once.

The convention (docs/data-contract.md, "Units"): a column's name carries its unit when it has
one of the suffixes below — ``_pct`` a percentage (0-100), ``_pp`` percentage points, ``_rate``
and ``_share`` a proportion (0-1), ``p_`` a probability (0-1), ``_gbp`` pounds. The names that
carry no suffix (counts of people, volumes, money in the plan's tables, ratios) are listed in
:data:`COLUMNS`, and the few whose unit depends on the table in :data:`TABLE_COLUMNS`. The
exported CSVs keep their column names (the report, the web and users' files read them); each
XLSX header cell carries its column's unit as a note, and ``tests/test_publish_round.py``
checks that every numeric column of a round's exports has a unit here.
"""

from __future__ import annotations

PERCENT = "percent (0-100)"
POINTS = "percentage points"
PROPORTION = "proportion (0-1)"
PROBABILITY = "probability (0-1)"
GBP = "£"
COUNT = "count"
PEOPLE = "people"
RATIO = "ratio (1 = no difference)"

#: Unit by suffix (checked in this order); a prefix ``p_`` or ``max_p_`` is a probability.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_pct", PERCENT), ("_pp", POINTS), ("_rate", PROPORTION), ("_rate_lower", PROPORTION),
    ("_rate_upper", PROPORTION), ("_share", PROPORTION), ("_gbp", GBP), ("_n", COUNT),
    ("_per_100", "per 100 people"), ("_score", "score (the indicator's scale, 1-4)"),
)
PREFIXES: tuple[tuple[str, str], ...] = (("p_", PROBABILITY), ("max_p_", PROBABILITY))

#: Columns without a unit suffix, by name.
COLUMNS: dict[str, str] = {
    # people and counts
    **dict.fromkeys((
        "offenders", "offenders_with_need", "people", "eligible", "cohort_size", "reoffenders",
        "places", "population", "population_mean", "population_p05", "population_p10",
        "population_p90", "population_p95", "receptions_mean", "releases_mean", "starts",
        "lower", "upper", "actual", "forecast", "projected", "headroom", "worst_headroom",
    ), PEOPLE),
    **dict.fromkeys((
        "reoffences", "reconviction_events", "avoided_reoffences", "reoffences_avoided",
        "establishments", "months_over", "months_tight", "origins", "backtest_origins",
        "calibration_errors", "studies", "what_works_known", "previous_sanctions",
        "known_errors", "variations",
    ), COUNT),
    # volumes: starts of a service in the planning year
    **dict.fromkeys((
        "baseline_volume", "planned_volume", "court_ordered_volume", "upper_volume", "volume",
        "volume_in", "volume_out",
    ), "starts (people starting the service in the year)"),
    # money
    **dict.fromkeys((
        "baseline_spend", "planned_spend", "spend", "spend_in", "spend_out", "spend_change",
        "spend_2011_12", "spend_2012_13", "unit_cost", "planned_unit_cost", "value_per_start",
        "value_per_reoffence", "amount",
    ), GBP),
    # rates per person, ratios and effect sizes
    "frequency_per_offender": "reoffences per offender",
    "frequency_per_reoffender": "reoffences per reoffender",
    "frequency_lower": "reoffences per offender", "frequency_upper": "reoffences per offender",
    "reoffences_per_reoffender": "reoffences per reoffender",
    "reoffences_avoided_per_start": "reoffences avoided per start",
    "mean_days_to_first": "days",
    "adjusted_reoffending_ratio": RATIO, "actual_to_expected": RATIO,
    "ratio_vs_baseline": RATIO, "ratio_vs_baseline_low": RATIO,
    "ratio_vs_baseline_high": RATIO, "ratio_vs_population": RATIO,
    "ratio_vs_population_low": RATIO, "ratio_vs_population_high": RATIO,
    "odds_ratio": RATIO, "pooled_odds_ratio": RATIO, "risk_ratio": RATIO,
    "risk_ratio_low": RATIO, "risk_ratio_high": RATIO, "bcr": "ratio (benefit ÷ cost)",
    "log_odds_ratio": "log odds ratio", "log_odds_ratio_se": "log odds ratio (standard error)",
    "pooled_log_or_se": "log odds ratio (standard error)",
    "adjusted_lower": PROPORTION, "adjusted_upper": PROPORTION,
    "baseline": PROPORTION, "baseline_ogrs3_1y": PROBABILITY,
    "ogrs3_1y": PROBABILITY, "ogrs3_2y": PROBABILITY,
    "level": PROPORTION, "flip_share": PROPORTION, "what_works_score": PROPORTION,
    "quality_factor": "factor (0-1)", "others_factor": "factor (0-1)",
    "mean_score": "score (1-4)", "band": "band (1-4)",
    # time
    "horizon_years": "years", "year": "year", "origin": "year", "cohort_year": "year",
    "age_at_assessment": "years",
}

#: Columns whose unit depends on the table (file name → column → unit).
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "pbr_published.csv": {
        "change": "the row's measure: a proportional reduction (0-1), or percentage points "
                  "for a binary rate (pp)",
        "threshold": "as change",
        "provider_value": "the row's measure", "reference_value": "the row's measure",
    },
    "pbr_decisions.csv": {
        "change": "the row's measure: a proportional reduction (0-1), or percentage points "
                  "for a binary rate (pp)",
        "threshold": "as change",
        "provider_value": "the row's measure", "reference_value": "the row's measure",
    },
    "invest_disinvest.csv": {"change": GBP},
    "benefit_cost.csv": {"eligible": "yes (1) or no (0): the segment may be served"},
    "risks.csv": {"section": "section number of the report"},
    "prison_backtest_table.csv": {
        "coverage_80_p_value": "p-value (0-1) of the exact binomial test of coverage",
        "coverage_90_p_value": "p-value (0-1) of the exact binomial test of coverage",
    },
}


#: Column-name prefixes whose unit depends on the table (file name → prefix → unit).
TABLE_PREFIXES: dict[str, dict[str, str]] = {
    "prison_backtest_choices.csv": {
        "score_": "log error: mean |log(actual ÷ forecast)| ÷ √(years ahead)",
    },
}


def unit_of(column: str, table: str | None = None) -> str | None:
    """The unit of ``column`` (in the exported file ``table``, e.g. ``"portfolio.csv"``), or
    None when it is not known."""
    if table is not None and column in TABLE_COLUMNS.get(table, {}):
        return TABLE_COLUMNS[table][column]
    if column in COLUMNS:
        return COLUMNS[column]
    for prefix, unit in TABLE_PREFIXES.get(table or "", {}).items():
        if column.startswith(prefix):
            return unit
    for prefix, unit in PREFIXES:
        if column.startswith(prefix):
            return unit
    for suffix, unit in SUFFIXES:
        if column.endswith(suffix):
            return unit
    return None
