"""Swagger UI and Redoc work without the internet: every script, style and font they load is ours."""

from __future__ import annotations

import re

import pytest

EXTERNAL = re.compile(rb"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")
ASSET = re.compile(rb"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("docs_page", ["/schema/swagger-ui/", "/schema/redoc/"])
def test_the_api_docs_pages_reference_no_external_url(client, docs_page):
    response = client.get(docs_page)

    assert response.status_code == 200
    assert EXTERNAL.findall(response.content) == []


@pytest.mark.parametrize("docs_page", ["/schema/swagger-ui/", "/schema/redoc/"])
def test_every_asset_of_the_api_docs_pages_is_served_by_the_deployable(client, docs_page):
    assets = ASSET.findall(client.get(docs_page).content)

    assert assets  # the page does load scripts: they must come from here
    for asset in assets:
        assert client.get(asset.decode()).status_code == 200, asset


def test_swagger_ui_does_not_call_the_public_validator(client):
    # Swagger UI's bundle defaults to validator.swagger.io for a badge; the settings turn it off.
    assert b'"validatorUrl": null' in client.get("/schema/swagger-ui/").content
