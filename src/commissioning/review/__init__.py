"""Review: proven reoffending, case-mix-adjusted rates, impact evaluation, payment by results
and provider performance ratings (the *review* stage of the commissioning cycle)."""
