"""Stage vocabularies of the supported CRMs mapped onto smarketing's own stages.

Lifecycle stages (a person): subscriber, lead, mql, sal, sql, opportunity, customer,
evangelist, recycled, disqualified. Deal stages: qualification, discovery, demo, proposal,
negotiation, closed_won, closed_lost. Lookups ignore case, spaces, ``-`` and ``_``, so
``Marketing Qualified Lead``, ``marketingqualifiedlead`` and ``MARKETING_QUALIFIED_LEAD`` are
one key. A value found in no map is a row error ("unknown stage"); a mapping file can add
values (``stages:`` / ``deal_stages:``). ``None`` as a target means "known, but no
smarketing stage" (HubSpot's catch-all ``Other``): the contact is imported without a stage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from smarketing.crm.normalize import InvalidValue

__all__ = [
    "DEAL_STAGES",
    "LIFECYCLE_STAGES",
    "DealStageMap",
    "StageMap",
    "stage_key",
]

LIFECYCLE_STAGES: tuple[str, ...] = (
    "subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "evangelist",
    "recycled", "disqualified",
)  # fmt: skip
DEAL_STAGES: tuple[str, ...] = (
    "qualification", "discovery", "demo", "proposal", "negotiation", "closed_won", "closed_lost",
)  # fmt: skip

_KEY_RE = re.compile(r"[\s_\-]+")


def stage_key(value: str) -> str:
    """Return the lookup key of a stage value (lower case, no spaces, dashes, underscores, accents).

    Examples
    --------
    >>> stage_key(" Marketing Qualified-Lead "), stage_key("Negociación/Revisión")
    ('marketingqualifiedlead', 'negociacion/revision')
    """
    key = _KEY_RE.sub("", value.strip().lower())
    if not key.isascii():
        key = "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c))
    return key


#: Our own names and the usual spellings, accepted in every format.
_COMMON_LIFECYCLE: dict[str, str | None] = {
    **{stage: stage for stage in LIFECYCLE_STAGES},
    "subscriber": "subscriber",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesacceptedlead": "sal",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "recycle": "recycled",
    "nurture": "recycled",
    "disqualified": "disqualified",
    "unqualified": "disqualified",
}

#: HubSpot ``Lifecycle Stage`` labels and ``lifecyclestage`` internal values.
HUBSPOT_LIFECYCLE: dict[str, str | None] = {
    **_COMMON_LIFECYCLE,
    "other": None,
}

#: Salesforce Lead ``Status`` (the default picklist plus common custom values).
SALESFORCE_LEAD_STATUS: dict[str, str | None] = {
    **_COMMON_LIFECYCLE,
    "opennotcontacted": "lead",
    "open": "lead",
    "new": "lead",
    "workingcontacted": "sal",
    "working": "sal",
    "contacted": "sal",
    "qualified": "sql",
    "closedconverted": "sql",
    "converted": "sql",
    "closednotconverted": "disqualified",
    "nurturing": "recycled",
    # An org set up in Spanish exports its picklist values in Spanish.
    "abiertonocontactado": "lead",
    "abierto": "lead",
    "nuevo": "lead",
    "trabajandocontactado": "sal",
    "trabajando": "sal",
    "contactado": "sal",
    "calificado": "sql",
    "cerradoconvertido": "sql",
    "convertido": "sql",
    "cerradonoconvertido": "disqualified",
    "nutricion": "recycled",
}

#: Mautic stages are named by each instance's admin; these are the usual names.
MAUTIC_STAGES: dict[str, str | None] = {
    **_COMMON_LIFECYCLE,
    "visitor": "subscriber",
    "prospect": "lead",
    "engaged": "lead",
    "mql": "mql",
    "marketingqualified": "mql",
    "salesqualified": "sql",
    "won": "customer",
    "lost": "disqualified",
}

_COMMON_DEAL: dict[str, str] = {
    **{stage.replace("_", ""): stage for stage in DEAL_STAGES},
    "won": "closed_won",
    "lost": "closed_lost",
}

#: HubSpot default sales pipeline: internal ids and labels, in funnel order.
HUBSPOT_DEAL_STAGES: dict[str, str] = {
    **_COMMON_DEAL,
    "appointmentscheduled": "qualification",
    "qualifiedtobuy": "discovery",
    "presentationscheduled": "demo",
    "decisionmakerboughtin": "proposal",
    "contractsent": "negotiation",
    "closedwon": "closed_won",
    "closedlost": "closed_lost",
}

#: Salesforce default Opportunity ``StageName`` picklist.
SALESFORCE_DEAL_STAGES: dict[str, str] = {
    **_COMMON_DEAL,
    "prospecting": "qualification",
    "qualification": "qualification",
    "needsanalysis": "discovery",
    "valueproposition": "demo",
    "id.decisionmakers": "demo",
    "perceptionanalysis": "proposal",
    "proposal/pricequote": "proposal",
    "negotiation/review": "negotiation",
    "closedwon": "closed_won",
    "closedlost": "closed_lost",
    # The default picklist of an org set up in Spanish.
    "prospeccion": "qualification",
    "calificacion": "qualification",
    "analisisdenecesidades": "discovery",
    "propuestadevalor": "demo",
    "id.responsablesdetomadedecisiones": "demo",
    "identificarresponsablesdetomadedecisiones": "demo",
    "analisisdepercepcion": "proposal",
    "propuesta/presupuesto": "proposal",
    "propuesta/cotizacion": "proposal",
    "negociacion/revision": "negotiation",
    "cerradaganada": "closed_won",
    "cerradaperdida": "closed_lost",
    "ganada": "closed_won",
    "perdida": "closed_lost",
}


class StageMap:
    """Map an export's lifecycle-stage value to a smarketing stage, or refuse it.

    Examples
    --------
    >>> StageMap(HUBSPOT_LIFECYCLE).lookup("Marketing Qualified Lead")
    'mql'
    >>> StageMap(HUBSPOT_LIFECYCLE, extra={"Hot": "sql"}).lookup("hot")
    'sql'
    >>> StageMap(HUBSPOT_LIFECYCLE).lookup("Zombie")
    Traceback (most recent call last):
    ...
    smarketing.crm.normalize.InvalidValue: unknown stage 'Zombie'
    """

    targets: tuple[str, ...] = LIFECYCLE_STAGES
    kind = "stage"

    def __init__(
        self, base: Mapping[str, str | None], *, extra: Mapping[str, str | None] | None = None
    ) -> None:
        table = {stage_key(k): v for k, v in base.items()}
        for source, target in (extra or {}).items():
            if target is not None and target not in self.targets:
                raise ValueError(
                    f"{self.kind} {source!r} maps to {target!r}, which is not one of "
                    f"{', '.join(self.targets)}"
                )
            table[stage_key(source)] = target
        self._table = table

    def lookup(self, value: str) -> str | None:
        """Return the smarketing stage for ``value`` (``None``: known, no equivalent)."""
        key = stage_key(value)
        try:
            return self._table[key]
        except KeyError:
            raise InvalidValue(f"unknown {self.kind} {value.strip()!r}") from None


class DealStageMap(StageMap):
    """Like :class:`StageMap`, for deal pipeline stages."""

    targets = DEAL_STAGES
    kind = "deal stage"
