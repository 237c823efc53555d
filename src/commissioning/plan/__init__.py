"""Plan: the commissioning intentions as rules, the 2011-12 baseline portfolio, and the best
portfolio under budget, savings and policy (linopy + HiGHS) beside today's ranking method
(issue 5)."""
