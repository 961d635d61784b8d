#!/usr/bin/env python
"""Django's command-line utility. DJANGO_SETTINGS_MODULE picks the deployable (default: the platform)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.platform")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # Settings refuse to load without production secrets (docs/adr/0108): say what to set, no traceback.
        # manage.py never turns DEBUG on by itself: Jobs and CronJobs run it in production too.
        sys.exit(f"manage.py: {exc}")


if __name__ == "__main__":
    main()
