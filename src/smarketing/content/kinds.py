"""The kinds of asset the library holds and the stored keys of its tags.

``crm.ContentKind`` lists every kind (battlecards and pricing sheets included); labels come
from here so every page names them the same way.
"""

from __future__ import annotations

from smarketing.crm.choices import ContentKind

KIND_CHOICES: list[tuple[str, str]] = sorted(ContentKind.choices, key=lambda kv: kv[1])
KIND_LABELS = dict(KIND_CHOICES)


def kind_label(kind: str) -> str:
    """The human label of an asset kind."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())
