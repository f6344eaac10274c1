"""Listing and editing mobile workers, as a CommCare integration does."""

import pytest

from conftest import JDOE
from hq_client import CommCareError

FIELD_TEAM_SOUTH = "b4ccdba29e01a61ea099394737c4fbf7"


def test_list_workers_pages_through_the_domain(client, hq_domain):
    page = client.list_workers(limit=2)
    assert page["meta"]["total_count"] == 4  # the seed's active workers; carol is deactivated
    assert page["meta"]["next"] == "?limit=2&offset=2"
    usernames = [w["username"] for w in page["objects"]]
    assert usernames == [f"amina.hassan@{hq_domain.name}.commcarehq.org", f"brian.otieno@{hq_domain.name}.commcarehq.org"]


def test_edit_a_worker_and_read_it_back(client):
    updated = client.update_worker(JDOE, first_name="John", email="JDoe@Example.org", language="en")
    assert (updated["first_name"], updated["email"], updated["language"]) == ("John", "jdoe@example.org", "en")
    assert updated["last_name"] == "Doe"  # a scalar not sent stays as it was
    assert client.get_worker(JDOE) == updated


def test_list_fields_replace_whole(client):
    before = client.get_worker(JDOE)
    assert before["user_data"]["favourite_colour"] == "blue"
    updated = client.update_worker(JDOE, phone_numbers=["+50253311399"], groups=[FIELD_TEAM_SOUTH], user_data={"chw_id": "13/43/DFA"})
    assert updated["phone_numbers"] == ["50253311399"]  # HQ drops the leading +
    assert updated["default_phone_number"] == "50253311399"
    assert updated["groups"] == [FIELD_TEAM_SOUTH]  # the old group is gone
    assert updated["user_data"]["chw_id"] == "13/43/DFA"
    assert "favourite_colour" not in updated["user_data"]  # user_data is replaced, not merged


def test_hq_validation_is_a_400_and_changes_nothing(client):
    before = client.get_worker(JDOE)
    with pytest.raises(CommCareError) as refused:
        client.update_worker(JDOE, username="x", default_phone_number=1234567890)
    assert refused.value.status == 400
    assert refused.value.body == {"error": "The request resulted in the following errors: "
                                           "Attempted to update unknown or non-editable field 'username', "
                                           "'default_phone_number' must be a string"}
    assert client.get_worker(JDOE) == before


def test_the_journal_shows_what_the_client_sent(client, hq_domain):
    client.update_worker(JDOE, first_name="John", password="N3w-secret!")
    [put] = hq_domain.requests(method="PUT")
    assert put["path"] == f"/a/{hq_domain.name}/api/v0.5/user/{JDOE}/"
    assert put["status"] == 200
    assert put["request"]["headers"]["authorization"] == "ApiKey admin@example.org:[redacted]"
    assert put["request"]["body"] == {"first_name": "John", "password": "[redacted]"}
