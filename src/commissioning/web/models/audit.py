"""The audit trail (append-only, hash-chained), denied accesses, and failed sign-ins."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change to an audited record. ``entry_hash`` = SHA-256 over the entry and the previous
    entry's hash, so editing, deleting or reordering any entry breaks the chain from there on.
    The table also refuses UPDATE and DELETE at the database (triggers in the migration)."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    actor_organisation = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(max_length=16)
    model = models.CharField(max_length=64)
    object_pk = models.CharField(max_length=64)
    data = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"


class AccessDenial(models.Model):
    """A request the ethical walls refused: who, what, and why."""

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, default="")
    role = models.CharField(max_length=32)
    organisation = models.CharField(max_length=200, blank=True, default="")
    method = models.CharField(max_length=8, blank=True, default="")
    path = models.CharField(max_length=500, blank=True, default="")
    target = models.CharField(max_length=200)
    action = models.CharField(max_length=16)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at"]


class FailedLogin(models.Model):
    """A failed sign-in, counted for throttling (per username and per client address)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64, db_index=True)
