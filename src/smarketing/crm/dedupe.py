"""Find and merge duplicate contacts and accounts; every merge can be undone.

Matching (pure functions, no database):

- :func:`company_key` normalises a company name (case, accents, punctuation and legal
  suffixes such as ``Inc.``, ``GmbH``, ``Ltd`` dropped), so ``"Acme, Inc."`` and
  ``"ACME Inc"`` are one key.
- :func:`name_score` compares two company names with rapidfuzz's ``ratio`` on their keys
  (0–100). :func:`match_decision` turns a score into a decision with the documented
  thresholds: **≥ 95 the same company** (auto-match), **85 to < 95 uncertain** (a duplicate
  review queue entry), **below 85 a different company**.
- :class:`AccountIndex` holds the accounts of one import in memory (domain, exact key, and
  fuzzy blocks by the first two letters of the key) so a million-row import never runs a
  fuzzy scan over every account.

Merging (writes; the caller owns the transaction): :func:`do_merge_contacts` and
:func:`do_merge_accounts` move everything that points at the loser (touchpoints, deals and
deal roles, stage history, visitor ids, reviews, any foreign key another app adds) to the
winner, fill the winner's blank fields from the loser, delete the loser and return a **merge
log** (a JSON document: the loser's full snapshot, the winner's changed fields, the moved row
ids per relation). :func:`do_undo_merge` takes that log and puts everything back, the loser
with its original primary key. Relations are discovered from Django's model metadata, so a
foreign key added later by another app is moved too without changing this module.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.core import serializers
from django.db import models, transaction
from rapidfuzz import fuzz, process

from smarketing.core.audit import record
from smarketing.crm.models import Account, Contact
from smarketing.crm.signals import announce_bulk_touchpoints

#: Company-name similarity (0–100, rapidfuzz ``ratio`` on :func:`company_key`) from which two
#: names are taken to be the same company without asking anyone.
AUTO_MATCH = 95.0
#: From this score up to :data:`AUTO_MATCH` the match is uncertain: a new account is created
#: and the pair goes to the duplicate review queue.
REVIEW_MATCH = 85.0

_LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "sl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
        "pty",
        "pte",
        "kk",
        "se",
    ]
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def company_key(name: str | None) -> str:
    """Return the comparison key of a company name ('' for blank).

    >>> company_key("Acme, Inc.")
    'acme'
    >>> company_key("Café Ångström AB")
    'cafe angstrom'
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in _NON_WORD.split(text.replace("&", " and ")) if w]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


#: :func:`company_key` memoised for :class:`AccountIndex`: an import looks a company up and
#: then adds it (two keys per new account), and a company recurs on many rows.
_cached_key = lru_cache(maxsize=1 << 16)(company_key)


def name_score(a: str | None, b: str | None) -> float:
    """Similarity of two company names, 0–100 (100: the same key).

    >>> name_score("Globex Corporation", "globex")
    100.0
    >>> round(name_score("Initech", "Initech Software"), 1)
    60.9
    """
    ka, kb = company_key(a), company_key(b)
    if not ka or not kb:
        return 0.0
    return float(fuzz.ratio(ka, kb))


def match_decision(score: float) -> str:
    """``"same"`` (≥ 95), ``"review"`` (85 to < 95) or ``"different"`` (< 85).

    >>> match_decision(96), match_decision(90), match_decision(50)
    ('same', 'review', 'different')
    """
    if score >= AUTO_MATCH:
        return "same"
    if score >= REVIEW_MATCH:
        return "review"
    return "different"


@dataclass(frozen=True)
class AccountMatch:
    """The result of looking a company up: the account (id or unsaved object), how, score."""

    account: object | None
    how: str  # "domain", "name", "fuzzy", "review" (a near miss: ``account`` is the candidate)
    score: float = 100.0


class AccountIndex:
    """Accounts of one import held in memory: domain → account, key → account, fuzzy blocks.

    Values are account ids, or unsaved :class:`Account` objects added during the current
    batch. ``begin``/``commit``/``rollback`` keep the index equal to the database when a
    batch's transaction is rolled back.
    """

    def __init__(self, rows: Iterable[tuple[int, str, str | None]] = ()) -> None:
        self.by_domain: dict[str, object] = {}
        self.by_key: dict[str, object] = {}
        self.blocks: dict[str, list[str]] = {}  # every account's key, by its first two letters
        self.free_blocks: dict[str, list[str]] = {}  # keys of accounts without a domain
        self._has_domain: set = set()
        self._journal: list[tuple[str, object]] | None = None
        for pk, name, domain in rows:
            self.add(pk, name, domain)

    @classmethod
    def from_database(cls) -> AccountIndex:
        """Load every account's id, name and domain."""
        return cls(Account.objects.values_list("id", "name", "domain").iterator(chunk_size=5000))

    def add(self, account, name: str | None, domain: str | None) -> None:
        """Remember an account (an id or an unsaved object) under its domain and name key."""
        if domain and domain not in self.by_domain:
            self.by_domain[domain] = account
            self._log("domain", domain)
            if _ident(account) not in self._has_domain:
                self._has_domain.add(_ident(account))
                self._log("has_domain", _ident(account))
        key = _cached_key(name) if name else ""
        if key and key not in self.by_key:
            self.by_key[key] = account
            self.blocks.setdefault(key[:2], []).append(key)
            self._log("key", key)
            if not domain:
                self.free_blocks.setdefault(key[:2], []).append(key)
                self._log("free", key)

    def _log(self, kind: str, value) -> None:
        if self._journal is not None:
            self._journal.append((kind, value))

    def begin(self) -> None:
        """Start journalling additions (one batch)."""
        self._journal = []

    def commit(self) -> None:
        """Keep what the batch added."""
        self._journal = None

    def rollback(self) -> None:
        """Forget what was added since :meth:`begin` (the batch's writes were rolled back)."""
        for kind, value in reversed(self._journal or []):
            if kind == "domain":
                self.by_domain.pop(value, None)
            elif kind == "has_domain":
                self._has_domain.discard(value)
            elif kind == "free":
                self.free_blocks[value[:2]].remove(value)
            else:
                self.by_key.pop(value, None)
                self.blocks[value[:2]].remove(value)
        self._journal = None

    def match(self, name: str | None, domain: str | None) -> AccountMatch | None:
        """Find the account of a company: by domain, by exact name key, then fuzzily.

        A name hit is only taken against an account with no domain when the row has one
        (two different domains are two companies, e.g. subsidiaries). Returns ``None`` when
        nothing is close (below :data:`REVIEW_MATCH`).

        >>> index = AccountIndex([(1, "Acme, Inc.", "acme.com"), (2, "Globex", None)])
        >>> index.match("ACME", None).account, index.match(None, "acme.com").how
        (1, 'domain')
        >>> m = index.match("Globexx", None); (m.account, m.how, round(m.score))
        (2, 'review', 92)
        """
        if domain and domain in self.by_domain:
            return AccountMatch(self.by_domain[domain], "domain")
        key = _cached_key(name) if name else ""
        if not key:
            return None
        if key in self.by_key:
            found = self.by_key[key]
            if domain is None or _ident(found) not in self._has_domain:
                return AccountMatch(found, "name")
            return None
        # A row with a domain is only compared with accounts that have none (a different
        # domain is a different company); that also keeps big imports with domains fast.
        block = (self.free_blocks if domain else self.blocks).get(key[:2])
        if not block:
            return None
        best = process.extractOne(key, block, scorer=fuzz.ratio, score_cutoff=REVIEW_MATCH)
        if best is None:
            return None
        found = self.by_key[best[0]]
        if domain is not None and _ident(found) in self._has_domain:
            return None
        how = "fuzzy" if match_decision(best[1]) == "same" else "review"
        return AccountMatch(found, how, float(best[1]))


def _ident(value):
    return value if isinstance(value, int) else id(value)


# --------------------------------------------------------------------------- merging

#: Fields of the winner that a merge fills from the loser when the winner's are blank.
CONTACT_FILL = (
    "first_name", "last_name", "title", "seniority", "phone", "country", "account_id",
    "persona_id", "owner_id", "original_source", "original_channel", "original_campaign_id",
)  # fmt: skip
ACCOUNT_FILL = (
    "domain", "industry", "employees", "country", "region", "segment", "tier", "owner_id",
)  # fmt: skip


def _relations(model) -> list[models.ForeignObjectRel]:
    """Every foreign key (of any app, hidden ones included) that points at ``model``."""
    return [
        rel
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]


def _unique_sets(model, field_name: str) -> list[tuple[str, ...]]:
    """Other fields that, together with ``field_name``, must be unique in ``model``."""
    sets = []
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        unique = isinstance(constraint, models.UniqueConstraint) and constraint.condition is None
        if unique and field_name in fields:
            sets.append(tuple(f for f in fields if f != field_name))
    for together in model._meta.unique_together:
        if field_name in together:
            sets.append(tuple(f for f in together if f != field_name))
    field = model._meta.get_field(field_name)
    if field.unique:
        sets.append(())
    return sets


def _snapshot(obj) -> dict:
    return json.loads(serializers.serialize("json", [obj]))[0]


def _restore(snapshot: dict) -> None:
    for item in serializers.deserialize("json", json.dumps([snapshot])):
        item.save()


def _merge(model, *, winner, loser, fill: tuple[str, ...], stage: bool) -> dict:
    if winner.pk == loser.pk:
        raise ValueError("cannot merge a record into itself")
    log: dict = {
        "model": model._meta.label,
        "winner": winner.pk,
        "loser": loser.pk,
        "loser_snapshot": _snapshot(loser),
        "winner_changes": {},
        "moved": [],
        "dropped": [],
    }
    changes: dict[str, list] = {}
    for name in fill:
        mine, theirs = getattr(winner, name), getattr(loser, name)
        if mine in (None, "") and theirs not in (None, ""):
            changes[name] = [mine, theirs]
    if (
        stage
        and loser.stage_changed_at
        and (winner.stage_changed_at is None or loser.stage_changed_at > winner.stage_changed_at)
    ):
        # The person's current stage is the most recent one either record reached.
        for name in ("lifecycle_stage", "stage_changed_at"):
            if getattr(winner, name) != getattr(loser, name):
                changes[name] = [getattr(winner, name), getattr(loser, name)]
    for rel in _relations(model):
        related, field = rel.related_model, rel.field
        manager = related._base_manager  # the plain manager: append-only logs still move
        rows = manager.filter(**{field.name: loser.pk})
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            continue
        clashing: set = set()
        winner_rows = manager.filter(**{field.name: winner.pk})
        for others in _unique_sets(related, field.name):
            if not others:  # one row per parent (a one-to-one or a unique foreign key)
                if winner_rows.exists():
                    clashing.update(ids)
                continue
            taken = set(winner_rows.values_list(*others))
            for pk, *values in rows.values_list("pk", *others):
                if tuple(values) in taken:
                    clashing.add(pk)
        for obj in manager.filter(pk__in=clashing):
            # The winner already has this row (e.g. both on one deal): keep a copy for undo.
            log["dropped"].append(_snapshot(obj))
        if clashing:
            manager.filter(pk__in=clashing)._raw_delete(manager.db)
        movable = [pk for pk in ids if pk not in clashing]
        if movable:
            manager.filter(pk__in=movable).update(**{field.name: winner.pk})
            log["moved"].append(
                {"model": related._meta.label, "field": field.name, "ids": _plain_ids(movable)}
            )
    loser.delete()
    if model is Contact and log["moved"]:
        announce_bulk_touchpoints([winner.pk], reowned=True)
    for name, (_old, new) in changes.items():
        setattr(winner, name, new)
    if changes:
        winner.save(update_fields=list(changes))
    log["winner_changes"] = {k: [_json(v[0]), _json(v[1])] for k, v in changes.items()}
    record(
        action="merge",
        obj=winner,
        changes={"merged": log["loser"], "fields": log["winner_changes"]},
    )
    return log


def _plain_ids(ids: list) -> list:
    return [int(i) if isinstance(i, int) else str(i) for i in ids]


def _json(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def do_merge_contacts(*, winner: Contact, loser: Contact) -> dict:
    """Merge ``loser`` into ``winner`` and return the merge log (see the module docstring)."""
    return _merge(Contact, winner=winner, loser=loser, fill=CONTACT_FILL, stage=True)


@transaction.atomic
def do_merge_accounts(*, winner: Account, loser: Account) -> dict:
    """Merge account ``loser`` into ``winner``: contacts, deals, touchpoints move over."""
    return _merge(Account, winner=winner, loser=loser, fill=ACCOUNT_FILL, stage=False)


@transaction.atomic
def do_undo_merge(*, log: dict) -> None:
    """Undo a merge from its log: the loser comes back with its primary key and its rows.

    Fields of the winner are put back only where they still hold the merged value (an edit
    made after the merge is kept). Moved rows that were since deleted stay deleted.
    """
    from django.apps import apps
    from django.utils.dateparse import parse_datetime

    model = apps.get_model(log["model"])
    if model._base_manager.filter(pk=log["loser"]).exists():
        raise ValueError(f"{model.__name__} #{log['loser']} exists: the merge was undone already")
    winner = model._base_manager.filter(pk=log["winner"]).first()
    if winner is not None:
        restore = {}
        for name, (old, new) in log["winner_changes"].items():
            current = _json(getattr(winner, name))
            if current == new:
                field = model._meta.get_field(name)
                if isinstance(field, models.DateTimeField) and isinstance(old, str):
                    old = parse_datetime(old)
                restore[name] = old
        if restore:
            for name, value in restore.items():
                setattr(winner, name, value)
            winner.save(update_fields=list(restore))
    _restore(log["loser_snapshot"])
    if winner is not None:
        for move in log["moved"]:
            related = apps.get_model(move["model"])
            related._base_manager.filter(pk__in=move["ids"], **{move["field"]: winner.pk}).update(
                **{move["field"]: log["loser"]}
            )
    for snapshot in log["dropped"]:
        _restore(snapshot)
    loser = model._base_manager.get(pk=log["loser"])
    record(action="unmerge", obj=loser, changes={"split_from": log["winner"]})
