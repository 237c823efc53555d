"""Choices shared by the workspace's records, taken from the data contract."""

from __future__ import annotations

from commissioning.schema.contract import OFFENCE_GROUPS, RISK_TIERS, SETTINGS

SETTING_CHOICES = [(s, s.capitalize()) for s in SETTINGS]
OFFENCE_GROUP_CHOICES = [(g, g.capitalize()) for g in OFFENCE_GROUPS]
RISK_TIER_CHOICES = [(t, t.replace("_", " ").capitalize()) for t in RISK_TIERS]
#: Risk of serious harm band as the plan uses it: high covers high and very high.
HARM_CHOICES = [("low", "Low"), ("medium", "Medium"), ("high", "High or very high")]
