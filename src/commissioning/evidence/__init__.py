"""Evidence: the intervention catalogue, effect sizes, meta-analysis, evidence ratings and
benefit–cost per intervention × segment (issue 3)."""
