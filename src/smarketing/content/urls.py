from django.urls import path

from smarketing.content import public, views

app_name = "content"

urlpatterns = [
    path("", views.library, name="library"),
    path("assets/new", views.asset_new, name="asset_new"),
    path("assets/<int:pk>/", views.asset_detail, name="asset"),
    path("assets/<int:pk>/edit", views.asset_edit, name="asset_edit"),
    path("assets/<int:pk>/versions/new", views.version_new, name="version_new"),
    path("assets/<int:pk>/reviewed", views.mark_reviewed, name="mark_reviewed"),
    path("assets/<int:pk>/share", views.share, name="share"),
    path("links/<int:pk>/revoke", views.revoke, name="revoke"),
    path("review/", views.review, name="review"),
    path("contacts/<int:pk>/", views.contact_content, name="contact"),
    path("gaps/", views.gaps, name="gaps"),
    path("unused/", views.unused, name="unused"),
    path("s/<str:token>/", public.view, name="public"),
    path("s/<str:token>/file", public.file, name="public_file"),
    path("s/<str:token>/visit", public.start, name="public_visit"),
    path("s/<str:token>/beat", public.beat, name="public_beat"),
]
