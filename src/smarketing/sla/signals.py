"""SLA events: ``sla_breached`` (``breach``) is sent on commit once a breach is notified."""

import django.dispatch

sla_breached = django.dispatch.Signal()
