"""Serializers of what the on-call API answers (SPEC §11), shared by the API and its OpenAPI
schema: users as ``{id, full_name, email}``, rotations, overrides, pages and the policy. Error
bodies and paginated envelopes are the kernel's (``support_portal.kernel.schema``)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Override, Page, PagingPolicy, Rotation


class UserBrief(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    email = serializers.EmailField()


class RotationOutput(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Rotation
        fields = ["id", "name", "level", "starts_at", "shift_hours", "members", "created_at"]

    @extend_schema_field(UserBrief(many=True))
    def get_members(self, rotation: Rotation) -> list[dict[str, Any]]:
        return [UserBrief(m.user).data for m in rotation.memberships.all()]


class OverrideOutput(serializers.ModelSerializer):
    user = UserBrief()

    class Meta:
        model = Override
        fields = ["id", "user", "level", "starts_at", "ends_at", "created_by", "created_at"]


class PageOutput(serializers.ModelSerializer):
    level = serializers.IntegerField(min_value=1, max_value=3,
                                     help_text="1 primary, 2 secondary, 3 everyone.")
    user = UserBrief()
    acknowledged_by = UserBrief(allow_null=True)

    class Meta:
        model = Page
        fields = ["id", "ticket", "level", "user", "created_at", "acknowledged_at",
                  "acknowledged_by"]


class PolicyOutput(serializers.ModelSerializer):
    class Meta:
        model = PagingPolicy
        fields = ["ack_minutes"]


#: ``{"1": user|null, "2": user|null}``: field names that are not identifiers.
OnCallNowOutput = type("OnCallNowOutput", (serializers.Serializer,), {
    "1": UserBrief(allow_null=True, help_text="On call at level 1 (primary)."),
    "2": UserBrief(allow_null=True, help_text="On call at level 2 (secondary)."),
})
