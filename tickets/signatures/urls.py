"""Signature-change requests: the API under ``/api/v1/`` and the pages under
``/signature-requests/`` (namespace ``signatures``)."""

from django.urls import path

from tickets.signatures import api, verification_api, views

urlpatterns = [
    path("", views.signature_list, name="list"),
    path("new/", views.signature_new, name="new"),
    path("releases/", views.release_list, name="releases"),
    path("<int:request_id>/", views.signature_detail, name="detail"),
    path("<int:request_id>/transition/", views.signature_transition, name="transition"),
    path("<int:request_id>/confirm/", views.signature_confirm, name="confirm"),
]

api_urlpatterns = [
    path("signature-requests/", api.SignatureRequestListApi.as_view(),
         name="api-signature-requests"),
    path("signature-requests/<int:request_id>/", api.SignatureRequestDetailApi.as_view(),
         name="api-signature-request"),
    path("signature-requests/<int:request_id>/transition/",
         api.SignatureTransitionApi.as_view(), name="api-signature-transition"),
    path("signature-requests/<int:request_id>/sample/", api.SampleDownloadApi.as_view(),
         name="api-signature-sample"),
    path("signature-requests/<int:request_id>/sample.zip", api.SampleZipApi.as_view(),
         name="api-signature-sample-zip"),
    path("signature-requests/<int:request_id>/confirm/", verification_api.ConfirmApi.as_view(),
         name="api-signature-confirm"),
    path("signature-requests/<int:request_id>/custody/", verification_api.CustodyApi.as_view(),
         name="api-signature-custody"),
    path("database-releases/", api.DatabaseReleaseListApi.as_view(),
         name="api-database-releases"),
]
