"""Django application configuration for the commissioning workspace."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "commissioning.web"
    label = "web"
    verbose_name = "Commissioning workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the audit-trail signal handlers (every change to an audited model is chained).
        from commissioning.web import audit

        audit.connect()
