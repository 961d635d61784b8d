"""`manage.py seed_demo_customers`: the demo customers alice and bob and the staff user `staff` (DEBUG only, idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_CUSTOMERS = ("alice", "bob")
DEMO_STAFF = "staff"  # the admin's operator: is_staff + is_superuser
DEMO_PASSWORD = "skyway-demo"  # noqa: S105 - a published demo credential, refused outside DEBUG


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo customers alice and bob and the admin user staff, all with password "
        "'skyway-demo'. DEBUG only."
    )

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
        staff, created = users.objects.get_or_create(
            username=DEMO_STAFF, defaults={"email": f"{DEMO_STAFF}@example.com"}
        )
        if created or not (staff.is_staff and staff.is_superuser and staff.check_password(DEMO_PASSWORD)):
            staff.is_staff = staff.is_superuser = staff.is_active = True
            staff.set_password(DEMO_PASSWORD)
            staff.save(update_fields=["password", "is_staff", "is_superuser", "is_active"])
        self.stdout.write(
            f"admin user {DEMO_STAFF} / {DEMO_PASSWORD} (/admin/){' created' if created else ''}"
        )
