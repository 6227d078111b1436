"""The kinds of asset the library holds and the stored keys of its tags.

``crm.ContentKind`` lists the kinds the CRM already knew; the library adds battlecards and
pricing sheets (stored in the same ``ContentAsset.kind`` column, which has no database
constraint on its values). Labels come from here so every page names them the same way.
"""

from __future__ import annotations

from smarketing.crm.choices import ContentKind

EXTRA_KINDS = [("battlecard", "Battlecard"), ("pricing_sheet", "Pricing sheet")]
KIND_CHOICES: list[tuple[str, str]] = sorted(
    [*ContentKind.choices, *EXTRA_KINDS], key=lambda kv: kv[1]
)
KIND_LABELS = dict(KIND_CHOICES)


def kind_label(kind: str) -> str:
    """The human label of an asset kind."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())
