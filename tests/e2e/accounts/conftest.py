"""Linking end to end runs on both Webex APIs: the XML API's OAuth server and the REST API's."""

from __future__ import annotations

import pytest

from tests.support.servers import APIS, both_apis


@pytest.fixture(params=APIS)
def webex_api(request: pytest.FixtureRequest) -> str:
    return both_apis(request)
