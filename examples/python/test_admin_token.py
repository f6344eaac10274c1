"""A shared mock started with MOCK_ADMIN_TOKEN keeps its test-control API to those who have it."""

import os

import pytest
import requests


@pytest.mark.skipif(os.environ.get("MOCK_ADMIN_TOKEN", "") == "", reason="MOCK_ADMIN_TOKEN is not set")
def test_the_test_control_api_needs_the_admin_token(hq_mock):
    bare = requests.get(f"{hq_mock.url}/__mock/domains", timeout=10)
    assert bare.status_code == 401
    assert bare.headers["X-Mock-Reason"].startswith("this server has an admin token")
    assert "demo" in [d["name"] for d in hq_mock.domains()]  # the fixture sends it
