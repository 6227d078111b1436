from django.urls import path

from smarketing.abm import views

app_name = "abm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
    path("targets/tiers", views.set_tiers, name="set_tiers"),
    path("accounts/<int:account_id>/", views.account, name="account"),
    path("icp/", views.icp, name="icp"),
    path("icp/versions/", views.icp_versions, name="icp_versions"),
]
