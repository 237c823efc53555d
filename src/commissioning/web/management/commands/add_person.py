"""``python manage.py add_person``: an organisation's person with a role, for a workspace of
real data (which gets no demo accounts).

    COMMISSIONING_WORKSPACE=myround python manage.py add_person j.smith \\
        --role provider --organisation "Avon & Somerset Probation Trust" \\
        --kind probation_trust --provider-id ASP

The organisation is created when it does not exist yet. The password is asked for twice (or
read from ``--password-file``) and checked by Django's password validators. Both changes go
into the audit log as made by ``add_person``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from commissioning.web import audit
from commissioning.web import models as m
from commissioning.web.roles import OrganisationKind, Role


class Command(BaseCommand):
    help = "Add a person with a role in an organisation (created if new)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True,
                            choices=[r for r in Role.values if r != Role.PUBLIC])
        parser.add_argument("--organisation", required=True, help="The organisation's name.")
        parser.add_argument("--kind", choices=OrganisationKind.values,
                            help="The organisation's kind, when it is new.")
        parser.add_argument("--provider-id", default="",
                            help="The providers table's provider_id, for a new provider.")
        parser.add_argument("--region", default="")
        parser.add_argument("--password-file", type=Path,
                            help="Read the password from this file instead of asking.")

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_file"] is not None:
            try:
                return str(options["password_file"].read_text(encoding="utf-8")).strip()
            except OSError as exc:
                raise CommandError(f"--password-file: {exc}") from None
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            raise CommandError(f"{username}: there is already a person with this username")
        organisation = m.Organisation.objects.filter(name=options["organisation"]).first()
        if organisation is None and not options["kind"]:
            raise CommandError(
                f"no organisation named {options['organisation']!r}: give --kind to create it"
            )
        password = self._password(options)
        user = user_model(username=username)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("password: " + " ".join(exc.messages)) from None
        with transaction.atomic(), audit.acting_as("add_person"):
            if organisation is None:
                organisation = m.Organisation.objects.create(
                    name=options["organisation"], kind=options["kind"],
                    provider_id=options["provider_id"], region=options["region"],
                )
            user.set_password(password)
            user.save()
            try:
                m.Membership.objects.create(user=user, organisation=organisation,
                                            role=options["role"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{username}: {options['role']} of {organisation.name}")
