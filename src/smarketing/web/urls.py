from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from smarketing.web import charts, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.leads, name="leads"),
    path("leads/<int:contact_id>/", views.contact_detail, name="contact"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
    path("deals/", views.deals, name="deals"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("healthz", views.healthz, name="healthz"),
    path("assets/plotly.js", charts.plotly_js, name="plotly_js"),
    # Browsers ask for /favicon.ico whatever the page says: answer with the icon, not a 404.
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
]
