"""A client generated from the live schema works unchanged (SPEC §8, issue 12): the integrator's
path. ``openapi-python-client`` (a CLI, pinned in the dev extras) generates a Python package
from ``/api/v1/schema/`` of a live server; the test imports it and files a ticket, lists the
queue page by page, reads a dashboard, and files on a contact's behalf with the id the contacts
list gave."""

import importlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from accounts import services as account_services
from tests.factories import ContactFactory
from tickets import services

pytestmark = [pytest.mark.slow_subprocess, pytest.mark.django_db(transaction=True)]

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


def _token(user) -> str:
    return account_services.token_for(user).key


@pytest.fixture
def generated(live_server, tmp_path, admin):
    request = urllib.request.Request(  # noqa: S310 (the test's own live server)
        f"{live_server.url}/api/v1/schema/?format=json",
        headers={"Authorization": f"Token {_token(admin)}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        (tmp_path / "schema.json").write_bytes(answer.read())
    # IANA zone names such as GMT+0 and GMT-0 become one identifier as enum members; the
    # generator's literal enums keep them apart.
    (tmp_path / "config.yaml").write_text("literal_enums: true\n")
    done = subprocess.run(  # noqa: S603 (the generator installed with the dev extras)
        [str(GENERATOR), "generate", "--path", "schema.json", "--output-path", "portal_client",
         "--meta", "none", "--config", "config.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"portal_client.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.split(".")[0] == "portal_client"]:
            del sys.modules[module]


def test_a_generated_client_files_lists_reads_and_files_for_a_contact(
    generated, live_server, admin, engineer, tam, company_a, contact_a
):
    client_module = generated("client")
    models = generated("models")

    def as_user(user):
        return client_module.AuthenticatedClient(base_url=live_server.url, token=_token(user),
                                                 prefix="Token")

    # A contact files a ticket.
    create = generated("api.tickets.tickets_create")
    filed = create.sync(client=as_user(contact_a), body=models.TicketCreateInputRequest(
        subject="Scanner stops at 40%", description="Since this morning.", severity=2))
    assert isinstance(filed, models.TicketOutput), filed
    assert filed.requester == contact_a.pk
    assert filed.number.startswith("TS-")

    # The engineer reads the queue page by page: 7 tickets in pages of 3.
    for i in range(6):
        services.ticket_create(requester=contact_a, subject=f"Ticket {i}", description="x",
                               severity=i % 4 + 1)
    queue = generated("api.queue.queue_list")
    seen, page = [], 1
    while True:
        answer = queue.sync(client=as_user(engineer), page=page, page_size=3)
        assert isinstance(answer, models.PaginatedQueueRowOutputList), answer
        assert answer.count == 7
        seen += [row.id for row in answer.results]
        if not answer.next_:
            break
        page += 1
    assert page == 3
    assert len(seen) == len(set(seen)) == 7

    # The account's TAM reads the dashboard; an engineer gets the documented 403 error body.
    dashboard = generated("api.companies.companies_dashboard_retrieve")
    figures = dashboard.sync(client=as_user(tam), company_id=company_a.pk)
    assert isinstance(figures, models.Dashboard), figures
    assert figures.breaches_30d == 0
    refused = dashboard.sync_detailed(client=as_user(engineer), company_id=company_a.pk)
    assert refused.status_code == 403
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.detail

    # One contact id: list the contacts, file a phone ticket with that id as the requester.
    ContactFactory(company=company_a)
    contacts = generated("api.companies.companies_contacts_list").sync(
        client=as_user(tam), company_id=company_a.pk)
    listed = {c.email: c.id for c in contacts.results}
    assert listed[contact_a.email] == contact_a.pk
    phoned = create.sync(client=as_user(engineer), body=models.TicketCreateInputRequest(
        subject="Called in", description="Logged by phone.", severity=3,
        requester=listed[contact_a.email]))
    assert isinstance(phoned, models.TicketOutput), phoned
    assert phoned.requester == listed[contact_a.email]
    assert phoned.channel == "phone"

    # Errors come back parsed as the documented error body, with the message per field.
    bad = create.sync_detailed(client=as_user(engineer), body=models.TicketCreateInputRequest(
        subject="No requester", description="x", severity=3))
    assert bad.status_code == 400
    assert "requester" in json.loads(bad.content)["errors"]
    assert bad.parsed.errors is not None
