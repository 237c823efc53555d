"""Template tags for GOV.UK Frontend markup (``{% load govuk %}``)."""
