"""The hook through which apps derive their own state for a freshly generated demo company.

The generator writes the shared records (crm, funnel log) in bulk and then sends
:data:`demo_generated`; apps higher up the data flow (SLA clocks, scores, report tables)
connect a receiver in their ``AppConfig.ready`` and return a ``{name: count}`` dict that is
added to the printed summary. Receivers run in ``INSTALLED_APPS`` order (sla before scoring
before reporting), inside the generator's transaction.
"""

import django.dispatch

#: Sent with ``now`` (the demo's "current" hour) after the records are written.
demo_generated = django.dispatch.Signal()
