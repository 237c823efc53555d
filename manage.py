#!/usr/bin/env python
"""Django's command-line utility for the web workspace (``python manage.py check --deploy``).

Settings: ``DJANGO_SETTINGS_MODULE`` (default ``commissioning.web.project.settings``; production
uses ``commissioning.web.project.settings_production``). ``commission serve`` wraps this.
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commissioning.web.project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
