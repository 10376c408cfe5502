"""The on-call API under the API contract (SPEC §8, §11): query values that are not what the
schema says are a 400 (an empty ``at`` is not "now"), a PATCH of the policy needs a body, and
the lists are the paginated envelope."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.mark.parametrize(("path", "name"), [("/api/v1/oncall/now/?at=", "at"),
                                            ("/api/v1/oncall/now/?at=soon", "at"),
                                            ("/api/v1/pages/?ticket=", "ticket"),
                                            ("/api/v1/pages/?ticket=0", "ticket")])
def test_it_refuses_query_values_the_schema_does_not_allow(api, engineer, path, name):
    answer = api(engineer).get(path)
    assert answer.status_code == 400
    assert name in answer.json()["errors"]


def test_it_refuses_a_policy_patch_without_a_body(api, admin):
    answer = api(admin).patch("/api/v1/oncall/policy/")
    assert answer.status_code == 400
    assert answer.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/oncall/rotations/", "/api/v1/oncall/overrides/",
                                  "/api/v1/pages/"])
def test_its_lists_are_the_paginated_envelope(api, engineer, path):
    answer = api(engineer).get(path)
    assert answer.status_code == 200
    assert answer.json() == {"count": 0, "next": None, "previous": None, "results": []}
