"""`manage.py seed_demo_customers`: the demo customers alice and bob (DEBUG only, idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_CUSTOMERS = ("alice", "bob")
DEMO_PASSWORD = "skyway-demo"  # noqa: S105 - a published demo credential, refused outside DEBUG


class Command(BaseCommand):
    help = "Create (or reset) the demo customers alice and bob with password 'skyway-demo'. DEBUG only."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo_customers only runs with DEBUG on: demo passwords are public.")
        users = get_user_model()
        for username in DEMO_CUSTOMERS:
            user, created = users.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            self.stdout.write(
                f"demo customer {username} / {DEMO_PASSWORD} (customer_id {user.pk}){' created' if created else ''}"
            )
