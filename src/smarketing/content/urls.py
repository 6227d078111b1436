from django.urls import path

from smarketing.content import views

app_name = "content"

urlpatterns = [path("", views.library, name="library")]
