"""The on-call API (SPEC §11, §8): rotations, overrides, who is on call, the policy; its
validation (400), permissions (403), unknown ids (404) and the audit log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.audit import Action, AuditEntry
from accounts.models import Role
from tests.factories import UserFactory
from tickets.models import Override, PagingPolicy, Rotation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def iso(dt):
    return dt.isoformat()


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) - timedelta(hours=1)


def make_rotation(api, admin, members, start, level=1, shift_hours=8):
    return api(admin).post("/api/v1/oncall/rotations/", {
        "name": f"L{level}", "level": level, "starts_at": iso(start),
        "shift_hours": shift_hours, "members": [m.pk for m in members],
    }, format="json")


def test_it_creates_a_rotation_lists_it_and_answers_who_is_on_call(api, admin, engineer, tam,
                                                                   start):
    second = UserFactory(role=Role.ENGINEER)
    answer = make_rotation(api, admin, [engineer, second], start)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert [m["id"] for m in body["members"]] == [engineer.pk, second.pk]
    assert set(body["members"][0]) == {"id", "full_name", "email"}
    assert AuditEntry.objects.filter(action=Action.ROTATION_CHANGED, actor=admin).count() == 1

    listed = api(engineer).get("/api/v1/oncall/rotations/").json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert listed["count"] == 1

    now = api(tam).get("/api/v1/oncall/now/").json()
    assert now == {"1": {"id": engineer.pk, "full_name": engineer.full_name,
                         "email": engineer.email}, "2": None}
    later = api(tam).get("/api/v1/oncall/now/", {"at": iso(start + timedelta(hours=8))}).json()
    assert later["1"]["id"] == second.pk
    before = api(tam).get("/api/v1/oncall/now/", {"at": iso(start - timedelta(seconds=1))})
    assert before.json() == {"1": None, "2": None}


@pytest.mark.parametrize("who", ["contact_a", "engineer", "tam", "expert"])
def test_it_lets_only_an_admin_create_a_rotation(api, personas, who, start):
    answer = make_rotation(api, personas[who], [personas["engineer"]], start)
    assert answer.status_code == 403
    assert "detail" in answer.json()
    assert not Rotation.objects.exists()


def test_it_refuses_a_contact_as_member_and_unknown_users(api, admin, engineer, contact_a,
                                                          start):
    answer = make_rotation(api, admin, [engineer, contact_a], start)
    assert answer.status_code == 400
    assert "members" in answer.json()["errors"]
    unknown = api(admin).post("/api/v1/oncall/rotations/", {
        "name": "x", "level": 1, "starts_at": iso(start), "shift_hours": 8,
        "members": [987654]}, format="json")
    assert unknown.status_code == 400
    assert "members" in unknown.json()["errors"]
    for bad in ({"level": 3}, {"shift_hours": 0}, {"members": []}, {"starts_at": "soon"},
                {"starts_at": "9999-12-31T23:00:00Z"}, {"members": [2**70]}):
        fields = {"name": "x", "level": 1, "starts_at": iso(start), "shift_hours": 8,
                  "members": [engineer.pk], **bad}
        answer = api(admin).post("/api/v1/oncall/rotations/", fields, format="json")
        assert answer.status_code == 400, bad
        assert set(answer.json()["errors"]) == set(bad)
    assert not Rotation.objects.exists()


def test_it_lets_someone_on_the_rota_hand_over_a_shift(api, admin, engineer, tam, start):
    make_rotation(api, admin, [engineer], start)
    answer = api(engineer).post("/api/v1/oncall/overrides/", {
        "user": tam.pk, "level": 1, "starts_at": iso(start + timedelta(hours=2)),
        "ends_at": iso(start + timedelta(hours=5))}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["user"]["id"] == tam.pk
    assert AuditEntry.objects.filter(action=Action.OVERRIDE_ADDED, actor=engineer).exists()
    during = api(engineer).get("/api/v1/oncall/now/",
                               {"at": iso(start + timedelta(hours=3))}).json()
    assert during["1"]["id"] == tam.pk
    after = api(engineer).get("/api/v1/oncall/now/", {"at": iso(start + timedelta(hours=5))})
    assert after.json()["1"]["id"] == engineer.pk
    listed = api(tam).get("/api/v1/oncall/overrides/").json()
    assert listed["count"] == 1

    # Someone not on the level-1 rota may not; nor a contact.
    other = UserFactory(role=Role.ENGINEER)
    refused = api(other).post("/api/v1/oncall/overrides/", {
        "user": other.pk, "level": 1, "starts_at": iso(start + timedelta(hours=6)),
        "ends_at": iso(start + timedelta(hours=7))}, format="json")
    assert refused.status_code == 403


def test_only_whoever_the_rota_puts_on_call_hands_that_shift_over(api, admin, engineer, start):
    second = UserFactory(role=Role.ENGINEER)
    make_rotation(api, admin, [engineer, second], start)  # 8-hour shifts, engineer first

    def hand_over(actor, hours_from, hours_to):
        return api(actor).post("/api/v1/oncall/overrides/", {
            "user": actor.pk if actor != engineer else second.pk, "level": 1,
            "starts_at": iso(start + timedelta(hours=hours_from)),
            "ends_at": iso(start + timedelta(hours=hours_to))}, format="json")

    assert hand_over(second, 2, 4).status_code == 403  # engineer's shift, not theirs
    assert hand_over(second, 9, 10).status_code == 201  # their own shift
    assert hand_over(engineer, 3, 5).status_code == 201
    assert hand_over(engineer, 1, 24 * 70).status_code == 400  # longer than 62 days


def test_it_refuses_an_override_ending_before_it_starts_or_for_a_contact(api, admin, contact_a,
                                                                        engineer, start):
    backwards = api(admin).post("/api/v1/oncall/overrides/", {
        "user": engineer.pk, "level": 2, "starts_at": iso(start + timedelta(hours=5)),
        "ends_at": iso(start + timedelta(hours=4))}, format="json")
    assert backwards.status_code == 400
    assert "ends_at" in backwards.json()["errors"]
    contact = api(admin).post("/api/v1/oncall/overrides/", {
        "user": contact_a.pk, "level": 2, "starts_at": iso(start + timedelta(hours=2)),
        "ends_at": iso(start + timedelta(hours=4))}, format="json")
    assert contact.status_code == 400
    assert "user" in contact.json()["errors"]
    unknown = api(admin).post("/api/v1/oncall/overrides/", {
        "user": 99999999, "level": 2, "starts_at": iso(start + timedelta(hours=2)),
        "ends_at": iso(start + timedelta(hours=4))}, format="json")
    assert unknown.status_code == 400
    assert not Override.objects.exists()
    assert api(contact_a).get("/api/v1/oncall/overrides/").status_code == 403


def test_it_deletes_an_override_for_its_author_or_an_admin_only(api, admin, engineer, start):
    override = Override.objects.create(user=engineer, level=1, starts_at=start,
                                       ends_at=start + timedelta(hours=3), created_by=admin)
    stranger = UserFactory(role=Role.ENGINEER)
    url = f"/api/v1/oncall/overrides/{override.pk}/"
    assert api(stranger).delete(url).status_code == 403
    assert api(engineer).delete(url).status_code == 204
    assert api(admin).delete(url).status_code == 404
    assert AuditEntry.objects.filter(action=Action.OVERRIDE_REMOVED, actor=engineer).exists()


def test_it_reads_and_changes_the_policy_for_admins_only(api, admin, engineer):
    assert api(admin).get("/api/v1/oncall/policy/").json() == {"ack_minutes": 5}
    assert api(engineer).get("/api/v1/oncall/policy/").status_code == 403
    assert api(engineer).patch("/api/v1/oncall/policy/", {"ack_minutes": 9},
                               format="json").status_code == 403
    answer = api(admin).patch("/api/v1/oncall/policy/", {"ack_minutes": 9}, format="json")
    assert answer.json() == {"ack_minutes": 9}
    assert PagingPolicy.current().ack_minutes == 9
    for bad in ({"ack_minutes": 0}, {"ack_minutes": "x"}, {}, {"other": 1}):
        assert api(admin).patch("/api/v1/oncall/policy/", bad,
                                format="json").status_code == 400, bad
    entry = AuditEntry.objects.get(action=Action.PAGING_POLICY_CHANGED)
    assert entry.detail == {"ack_minutes": [5, 9]}


def test_it_answers_400_for_a_malformed_instant_and_403_for_contacts(api, engineer, contact_a):
    answer = api(engineer).get("/api/v1/oncall/now/", {"at": "yesterday"})
    assert answer.status_code == 400
    assert "at" in answer.json()["errors"]
    for path in ("/api/v1/oncall/now/", "/api/v1/oncall/rotations/", "/api/v1/pages/",
                 "/api/v1/oncall/policy/"):
        assert api(contact_a).get(path).status_code == 403, path
        assert api().get(path).status_code in (401, 403), path


def test_it_lists_rotations_in_a_fixed_number_of_queries(api, admin, engineer, start,
                                                         django_assert_num_queries):
    for level in (1, 2, 1):
        make_rotation(api, admin, [engineer, UserFactory(role=Role.TAM)], start, level=level)
    client = api(engineer)
    # count, the page of rotations, their members with users (prefetch)
    with django_assert_num_queries(3):
        assert client.get("/api/v1/oncall/rotations/").json()["count"] == 3
