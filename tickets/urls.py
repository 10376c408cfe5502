"""Addresses of the ticket core: the tickets API and the ticket pages. Each feature package
has its own ``urls``; ``support_portal.urls`` puts them together."""

from django.urls import path

from tickets import api, views

api_urlpatterns = [
    path("tickets/", api.TicketListApi.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", api.TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/comments/", api.CommentListApi.as_view(), name="api-comments"),
    path("tickets/<int:ticket_id>/attachments/", api.AttachmentListApi.as_view(),
         name="api-attachments"),
    path("attachments/<int:attachment_id>/download/", api.AttachmentDownloadApi.as_view(),
         name="api-attachment-download"),
]

#: The server-rendered pages, included under ``/tickets/`` with the namespace ``tickets``.
page_urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("phone/", views.ticket_phone, name="phone"),
    path("<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("<int:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("<int:ticket_id>/live/", views.ticket_live, name="live"),
    path("<int:ticket_id>/writing/", views.ticket_writing, name="writing"),
    path("<int:ticket_id>/change/", views.ticket_change, name="change"),
    path("<int:ticket_id>/take/", views.ticket_take, name="take"),
]
