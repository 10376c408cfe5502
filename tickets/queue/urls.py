"""The queue's API and page addresses."""

from django.urls import path

from tickets.queue import api, views

api_urlpatterns = [
    path("queue/", api.QueueApi.as_view(), name="api-queue"),
]

page_urlpatterns = [
    path("queue/", views.queue_page, name="queue"),
]
