"""The OpenAPI 3 schema covers the SPEC §8 paths and generates without warnings."""

import pytest
import yaml
from django.core.management import call_command

SPEC_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/staff/",
    "/api/v1/companies/",
    "/api/v1/companies/{company_id}/",
    "/api/v1/companies/{company_id}/contacts/",
    "/api/v1/companies/{company_id}/contacts/{contact_id}/",
    "/api/v1/tickets/",
    "/api/v1/tickets/{ticket_id}/",
    "/api/v1/tickets/{ticket_id}/comments/",
    "/api/v1/signature-requests/{request_id}/confirm/",
    "/api/v1/incidents/",
    "/api/v1/incidents/{incident_id}/tickets/",
    "/api/v1/incidents/{incident_id}/updates/",
]


@pytest.mark.django_db
def test_it_generates_a_valid_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    missing = [p for p in SPEC_PATHS if p not in schema["paths"]]
    assert not missing
