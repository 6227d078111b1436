from django.urls import path

from smarketing.planning import views

app_name = "planning"

urlpatterns = [
    path("", views.index, name="index"),
    path("plan/", views.index, name="plan"),  # older links
    path("goal/", views.save_goal, name="save_goal"),
]
