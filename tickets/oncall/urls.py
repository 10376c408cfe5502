"""On call: the page ``/oncall/`` (namespace ``oncall``), the one-click acknowledge link of a
page's e-mail, and the API under ``/api/v1/`` (SPEC §11)."""

from django.urls import path

from tickets.oncall import api, views

urlpatterns = [
    path("", views.oncall_page, name="page"),
    path("rotations/", views.rotation_add, name="rotation-add"),
    path("rotations/<int:rotation_id>/delete/", views.rotation_remove, name="rotation-delete"),
    path("overrides/", views.override_add, name="override-add"),
    path("overrides/<int:override_id>/delete/", views.override_remove, name="override-delete"),
    path("ack/<str:token>/", views.ack_link, name="ack-link"),
]

api_urlpatterns = [
    path("oncall/rotations/", api.RotationListApi.as_view(), name="api-oncall-rotations"),
    path("oncall/overrides/", api.OverrideListApi.as_view(), name="api-oncall-overrides"),
    path("oncall/overrides/<int:override_id>/", api.OverrideDetailApi.as_view(),
         name="api-oncall-override"),
    path("oncall/now/", api.OnCallNowApi.as_view(), name="api-oncall-now"),
    path("oncall/policy/", api.PolicyApi.as_view(), name="api-oncall-policy"),
    path("pages/", api.PageListApi.as_view(), name="api-pages"),
    path("pages/<int:page_id>/ack/", api.PageAckApi.as_view(), name="api-page-ack"),
]
