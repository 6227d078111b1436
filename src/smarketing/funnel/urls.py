from django.urls import path

from smarketing.funnel import views

app_name = "funnel"

urlpatterns = [
    path("inbox/", views.inbox_page, name="inbox"),
    path("inbox/<int:contact_id>/attempt", views.log_attempt, name="attempt"),
    path("inbox/<int:contact_id>/accept", views.accept, name="accept"),
    path("inbox/<int:contact_id>/reject", views.reject, name="reject"),
    path("inbox/<int:contact_id>/assign", views.assign, name="assign"),
    path("inbox/<int:contact_id>/qualify", views.qualify, name="qualify"),
]
