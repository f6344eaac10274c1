"""E-mails HQ sends are kept in the mock's outbox instead."""

from conftest import JDOE


def test_a_password_reset_is_an_email_in_the_outbox(client, hq_domain):
    assert client.send_password_reset(JDOE) == {}
    [email] = hq_domain.outbox(type="password_reset")
    assert (email["to"], email["user_id"], email["domain"]) == ("jane.doe@example.org", JDOE, hq_domain.name)
    assert hq_domain.clear_outbox() == [email]
    assert hq_domain.outbox() == []


def test_a_domain_reset_puts_the_copy_back(client, hq_domain):
    client.update_worker(JDOE, first_name="John")
    client.send_password_reset(JDOE)
    assert hq_domain.reset()["name"] == hq_domain.name
    assert hq_domain.outbox() == [] and hq_domain.requests() == []  # its e-mails and journal entries go too
    assert client.get_worker(JDOE)["first_name"] == "Jane"
