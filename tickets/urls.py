from django.urls import path

from tickets import api

api_urlpatterns = [
    path("tickets/", api.TicketListApi.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", api.TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/comments/", api.CommentListApi.as_view(), name="api-comments"),
    path("tickets/<int:ticket_id>/attachments/", api.AttachmentListApi.as_view(),
         name="api-attachments"),
    path("attachments/<int:attachment_id>/download/", api.AttachmentDownloadApi.as_view(),
         name="api-attachment-download"),
]
