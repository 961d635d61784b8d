"""The context router keeps every app's tables in exactly one database alias."""

import pytest
from django.apps import apps
from django.db import connections

from skyway.db_router import ContextRouter, database_for_app

router = ContextRouter()


def test_a_mapped_context_lives_in_its_own_alias(settings):
    settings.DATABASE_APPS_MAPPING = {"flights": "flights"}
    assert database_for_app("flights") == "flights"


def test_unmapped_apps_live_in_default(settings):
    settings.DATABASE_APPS_MAPPING = {"flights": "flights"}
    assert database_for_app("auth") == "default"
    assert database_for_app("gateway") == "default"


@pytest.mark.parametrize(
    ("db", "app_label", "allowed"),
    [
        ("flights", "flights", True),
        ("default", "flights", False),
        ("default", "auth", True),
        ("flights", "gateway", False),
        ("flights", "authtoken", False),
        # Django's own tables exist in every alias: each file is whole for its own deployable (ADR 100).
        ("flights", "auth", True),
        ("flights", "contenttypes", True),
        ("flights", "sessions", True),
    ],
)
def test_a_context_migrates_only_in_its_home_alias(settings, db, app_label, allowed):
    settings.DATABASE_APPS_MAPPING = {"flights": "flights"}
    assert router.allow_migrate(db, app_label) is allowed


def test_relations_never_cross_aliases(settings):
    settings.DATABASE_APPS_MAPPING = {"flights": "flights"}
    user_model = apps.get_model("auth", "User")
    group_model = apps.get_model("auth", "Group")
    assert router.allow_relation(user_model(), group_model()) is True

    class FlightLike:
        class _meta:
            app_label = "flights"

    assert router.allow_relation(user_model(), FlightLike()) is False


def test_platform_keeps_each_context_in_a_separate_database_file():
    names = {alias: connections[alias].settings_dict["NAME"] for alias in ("default", "flights")}
    assert names["default"] != names["flights"]


@pytest.mark.django_db(databases=["default", "flights"])
def test_platform_databases_hold_only_their_own_contexts_tables():
    flights_tables = set(connections["flights"].introspection.table_names())
    default_tables = set(connections["default"].introspection.table_names())
    assert not any(table.startswith("flights_") for table in default_tables)
    assert not any(table.startswith(("gateway_", "authtoken_")) for table in flights_tables)
    # Django's own tables are in both: the flights file is also the flights deployable's whole database.
    assert {"auth_user", "django_content_type"} <= default_tables
    assert {"auth_user", "django_content_type"} <= flights_tables
