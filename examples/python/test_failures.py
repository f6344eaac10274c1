"""Rehearsing a failing HQ: the client retries, and says so when it gives up."""

import pytest

from conftest import JDOE
from hq_client import CommCareError


def test_the_client_retries_a_429(client, hq_domain):
    hq_domain.add_fault(method="PUT", path="/a/*/api/v0.5/user/*", status=429, times=2)
    updated = client.update_worker(JDOE, first_name="John")
    assert updated["first_name"] == "John"
    statuses = [e["status"] for e in hq_domain.requests(method="PUT")]
    assert statuses == [200, 429, 429]  # newest first: two refusals, then the write


def test_the_client_gives_up_after_its_retries(client, hq_domain):
    hq_domain.add_fault(method="GET", status=503)
    with pytest.raises(CommCareError) as failed:
        client.get_worker(JDOE)
    assert failed.value.status == 503
    assert len(hq_domain.requests(method="GET")) == client.retries + 1


def test_the_client_survives_a_dropped_connection(client, hq_domain):
    hq_domain.add_fault(method="GET", reset_connection=True, times=1)
    assert client.get_worker(JDOE)["id"] == JDOE
    assert [e["status"] for e in hq_domain.requests(method="GET")] == [200, 0]  # 0: the connection was cut


def test_domain_faults_stay_in_their_domain(hq_mock, hq_domain):
    rule = hq_domain.add_fault(status=500)
    assert rule["domain"] == hq_domain.name
    hq_domain.clear_faults()
    assert [r for r in hq_mock.faults() if r.get("domain") == hq_domain.name] == []
