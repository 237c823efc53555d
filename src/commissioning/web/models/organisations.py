"""Organisations (the commissioner, providers, partners, assurance) and people's roles in them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from commissioning.web.roles import ROLE_ORGANISATION_KINDS, OrganisationKind, Role


class Organisation(models.Model):
    """A body taking part in the round: the commissioner, a provider, a partner or an auditor."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    #: The ``providers.provider_id`` of the data contract, for providers (e.g. a trust's code).
    provider_id = models.CharField(max_length=64, blank=True, default="")
    region = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _article(noun: str) -> str:
    """'a' or 'an' before ``noun`` (by its first letter: enough for the roles and kinds here)."""
    return "an" if noun[:1] in "aeiou" else "a"


class Membership(models.Model):
    """A person's one organisation and role. Changing it changes what they may see (audited)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=32, choices=[c for c in Role.choices if c[0] != Role.PUBLIC])

    def clean(self) -> None:
        allowed = ROLE_ORGANISATION_KINDS.get(self.role, frozenset())
        if self.organisation_id is not None and self.organisation.kind not in allowed:
            # "auditor", not "auditor (read only)"
            role = str(self.get_role_display()).split(" (")[0].lower()
            kind = str(self.organisation.get_kind_display()).lower()
            raise ValidationError({"role": f"{_article(role).capitalize()} {role} cannot belong "
                                           f"to {_article(kind)} {kind}."})

    def save(self, *args: object, **kwargs: object) -> None:
        self.full_clean()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.organisation}"
