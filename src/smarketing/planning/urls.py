from django.urls import path

from smarketing.planning import views

app_name = "planning"

urlpatterns = [
    path("plan/", views.index, name="index"),
    path("goal/", views.save_goal, name="save_goal"),
]
