from django.urls import path

from tickets import api, dashboard_api, signature_api, views

api_urlpatterns = [
    path("tickets/", api.TicketListApi.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", api.TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/comments/", api.CommentListApi.as_view(), name="api-comments"),
    path("tickets/<int:ticket_id>/attachments/", api.AttachmentListApi.as_view(),
         name="api-attachments"),
    path("attachments/<int:attachment_id>/download/", api.AttachmentDownloadApi.as_view(),
         name="api-attachment-download"),
    path("queue/", api.QueueApi.as_view(), name="api-queue"),
    path("signature-requests/", signature_api.SignatureRequestListApi.as_view(),
         name="api-signature-requests"),
    path("signature-requests/<int:request_id>/", signature_api.SignatureRequestDetailApi.as_view(),
         name="api-signature-request"),
    path("signature-requests/<int:request_id>/transition/",
         signature_api.SignatureTransitionApi.as_view(), name="api-signature-transition"),
    path("signature-requests/<int:request_id>/sample/", signature_api.SampleDownloadApi.as_view(),
         name="api-signature-sample"),
    path("signature-requests/<int:request_id>/sample.zip",
         signature_api.SampleZipApi.as_view(), name="api-signature-sample-zip"),
    path("database-releases/", signature_api.DatabaseReleaseListApi.as_view(),
         name="api-database-releases"),
    path("companies/<int:company_id>/dashboard/", dashboard_api.DashboardApi.as_view(),
         name="api-dashboard"),
    path("companies/<int:company_id>/notes/", dashboard_api.NoteListApi.as_view(),
         name="api-notes"),
]

#: The server-rendered pages, included under ``/tickets/`` with the namespace ``tickets``.
page_urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("phone/", views.ticket_phone, name="phone"),
    path("<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("<int:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("<int:ticket_id>/change/", views.ticket_change, name="change"),
    path("<int:ticket_id>/take/", views.ticket_take, name="take"),
]
