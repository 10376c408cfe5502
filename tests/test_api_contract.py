"""The API contract (SPEC §8, issue 12): the schema documents every answer exactly, every path
under /api/v1/ answers JSON errors, a contact has one id, and account dashboards are for the
account's TAM and administrators only."""

import pytest
import yaml
from django.core.management import call_command

from accounts.models import Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return yaml.safe_load(out.read_text())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, op


def resolve(schema, ref_or_schema):
    if "$ref" in ref_or_schema:
        name = ref_or_schema["$ref"].rsplit("/", 1)[-1]
        return schema["components"]["schemas"][name]
    return ref_or_schema


class TestSchema:
    def test_every_list_operation_documents_the_paginated_envelope(self, schema):
        lists = 0
        for path, method, op in operations(schema):
            params = {p["name"] for p in op.get("parameters", [])}
            if method != "get" or "page" not in params:
                continue
            lists += 1
            body = resolve(schema, op["responses"]["200"]["content"]["application/json"]
                           ["schema"])
            assert set(body["properties"]) == {"count", "next", "previous", "results"}, path
            assert body["properties"]["results"]["type"] == "array", path
        assert lists >= 14

    def test_no_json_answer_is_a_bare_array(self, schema):
        for path, method, op in operations(schema):
            for code, response in op["responses"].items():
                content = response.get("content", {}).get("application/json")
                if content:
                    assert resolve(schema, content["schema"]).get("type") != "array", (
                        method, path, code)

    def test_every_operation_documents_its_errors_with_the_error_body(self, schema):
        for path, method, op in operations(schema):
            codes = set(op["responses"])
            errors = {c for c in codes if c.startswith("4")}
            assert errors, (method, path)
            if path != "/api/v1/auth/token/":
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch") and "requestBody" in op:
                assert "400" in codes, (method, path)
            for code in errors:
                body = op["responses"][code]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)
        error = schema["components"]["schemas"]["Error"]
        assert error["required"] == ["detail"]
        assert error["properties"]["errors"]["additionalProperties"]["type"] == "array"

    def test_conflicts_and_throttling_are_documented_where_they_happen(self, schema):
        paths = schema["paths"]
        assert "409" in paths["/api/v1/companies/{company_id}/contacts/"]["post"]["responses"]
        assert "409" in paths["/api/v1/signature-requests/{request_id}/transition/"]["post"][
            "responses"]
        assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
        assert "401" in paths["/api/v1/auth/token/"]["post"]["responses"]

    def test_request_bodies_are_strict_and_text_cannot_be_blank(self, schema):
        ticket = schema["components"]["schemas"]["TicketCreateInputRequest"]
        assert ticket["additionalProperties"] is False
        assert ticket["properties"]["subject"]["minLength"] == 1
        assert "[^\\s" in ticket["properties"]["subject"]["pattern"]
        assert "required" in ticket["properties"]["requester"]["description"].lower()
        patch = schema["components"]["schemas"]["PatchedTicketPatchInputRequest"]
        assert patch["minProperties"] == 1
        for name, component in schema["components"]["schemas"].items():
            if name.endswith("Request"):
                assert component.get("additionalProperties") is False, name

    def test_nullable_fields_are_nullable(self, schema):
        contact = schema["components"]["schemas"]["ContactOutput"]["properties"]
        assert contact["last_login"]["nullable"] is True
        signature = schema["components"]["schemas"]["SignatureRequestOutput"]["properties"]
        assert signature["release_version"]["nullable"] is True
        assert signature["released_at"]["nullable"] is True


class TestJsonErrors:
    @pytest.mark.parametrize("path", [
        "/api/v1/tickets/null,null/", "/api/v1/no-such-thing/", "/api/v1/tickets/1/nope/",
        "/api/v1/companies/abc/contacts/", "/api/v1/tickets",
    ])
    def test_unknown_paths_and_malformed_ids_answer_json_404(self, api, engineer, path):
        for client in (api(), api(engineer)):
            response = client.get(path)
            assert response.status_code == 404
            assert response["Content-Type"] == "application/json"
            assert response.json()["detail"]

    def test_a_wrong_method_answers_json_405(self, api, engineer):
        response = api(engineer).delete("/api/v1/tickets/")
        assert response.status_code == 405
        assert response.json()["detail"]

    def test_pages_keep_their_html_404(self, client, engineer):
        response = client.get("/tickets/null,null/")
        assert response.status_code == 404
        assert "text/html" in response["Content-Type"]

    def test_validation_errors_are_listed_per_field(self, api, contact_a):
        response = api(contact_a).post("/api/v1/tickets/", {
            "subject": "   ", "description": "x", "severity": "1", "extra": True},
            format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert set(errors) == {"extra"}  # unknown fields first
        response = api(contact_a).post("/api/v1/tickets/", {
            "subject": "   ", "description": "x", "severity": "1"}, format="json")
        errors = response.json()["errors"]
        assert set(errors) == {"severity"}  # "1" is not an integer
        response = api(contact_a).post("/api/v1/tickets/", {
            "subject": "   ", "description": "x", "severity": 1}, format="json")
        assert set(response.json()["errors"]) == {"subject"}
        assert all(isinstance(m, str) for msgs in errors.values() for m in msgs)

    def test_a_page_size_out_of_range_is_a_400(self, api, contact_a):
        for size in ("0", "201", "null"):
            response = api(contact_a).get(f"/api/v1/tickets/?page_size={size}")
            assert response.status_code == 400
            assert "page_size" in response.json()["errors"]

    def test_unknown_ids_in_a_body_are_a_readable_400(self, api, admin, engineer, company_a):
        response = api(admin).patch(f"/api/v1/companies/{company_a.pk}/", {"tam": 999999},
                                    format="json")
        assert response.status_code == 400
        assert "tam" in response.json()["detail"]
        response = api(engineer).post("/api/v1/tickets/", {
            "subject": "Phone", "description": "Call", "severity": 2}, format="json")
        assert response.status_code == 400
        assert "requester" in response.json()["errors"]


def test_a_contact_has_one_id_across_the_api(api, engineer, tam, company_a, contact_a):
    listed = api(tam).get(f"/api/v1/companies/{company_a.pk}/contacts/").json()["results"]
    assert [c["id"] for c in listed] == [contact_a.pk]
    filed = api(engineer).post("/api/v1/tickets/", {
        "subject": "Phone call", "description": "Logged by phone", "severity": 3,
        "requester": listed[0]["id"]}, format="json")
    assert filed.status_code == 201
    assert filed.json()["requester"] == listed[0]["id"]
    one = api(tam).get(f"/api/v1/companies/{company_a.pk}/contacts/{listed[0]['id']}/")
    assert one.json()["email"] == contact_a.email
    dashboard = api(tam).get(f"/api/v1/companies/{company_a.pk}/dashboard/").json()
    assert [p["id"] for p in dashboard["contacts"]["people"]] == [contact_a.pk]


def test_a_contact_that_never_signed_in_has_a_null_last_login(api, tam, company_a):
    ContactFactory(company=company_a)
    listed = api(tam).get(f"/api/v1/companies/{company_a.pk}/contacts/").json()["results"]
    assert [c["last_login"] for c in listed] == [None]
    assert Contact.objects.filter(company=company_a).count() == 1


# --- Who sees account dashboards (SPEC §1): the role matrix -------------------------------
MATRIX = {"admin": 200, "tam": 200, "other_tam": 404, "engineer": 403, "expert": 403,
          "contact_a": 403}


@pytest.mark.parametrize(("who", "expected"), MATRIX.items())
def test_the_dashboard_api_is_for_the_accounts_tam_and_admins(api, personas, company_a, who,
                                                               expected):
    response = api(personas[who]).get(f"/api/v1/companies/{company_a.pk}/dashboard/")
    assert response.status_code == expected
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("who", "expected"), MATRIX.items())
def test_the_account_page_is_for_the_accounts_tam_and_admins(client, personas, company_a, who,
                                                              expected):
    client.force_login(personas[who])
    assert client.get(f"/tam/accounts/{company_a.pk}/").status_code == expected


@pytest.mark.parametrize(("who", "expected"), [("admin", 200), ("tam", 200), ("other_tam", 200),
                                               ("engineer", 403), ("expert", 403),
                                               ("contact_a", 403)])
def test_the_portfolio_is_for_tams_and_admins(client, personas, who, expected):
    client.force_login(personas[who])
    page = client.get("/tam/")
    assert page.status_code == expected
    nav = client.get("/notifications/").content.decode()
    assert ('href="/tam/"' in nav) is (expected == 200)


def test_a_search_with_a_nul_character_is_not_a_server_error(api, contact_a, engineer):
    # Found by the schema fuzzer: PostgreSQL refuses NUL in a text parameter.
    for user in (contact_a, engineer):
        response = api(user).get("/api/v1/tickets/?q=scan%00ner")
        assert response.status_code == 200
    # The queue's filters are validated: a NUL there is a 400 naming the field.
    refused = api(engineer).get("/api/v1/queue/?q=scan%00ner")
    assert refused.status_code == 400
    assert "q" in refused.json()["errors"]
