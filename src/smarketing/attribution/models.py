"""The stored path set: every journey's attribution path per conversion kind, derived data.

One path is what the engine would build from the raw touches: a conversion of a kind
(``seq`` >= 1) with the journey's touches inside the lookback window ending at it, or a
journey without any conversion of the kind (``seq`` 0, a "non-converting" path ending at its
last touch). It is stored once per level (:class:`JourneyPath`), as the codes
(:class:`PathKey`) of its touches' keys in time order joined by ``>``, so any model on any
level reads paths, never raw touches, and grouping a level's rows by ``path`` gives the
distinct paths with their counts, values and nulls; :class:`PathTiming` adds the touch ages
and milestones of the converting paths. ``at`` (the conversion time, or the last touch of
a non-converting path, in epoch seconds: exact and portable comparisons) lets a period select rows without rebuilding anything.

Kept by :mod:`smarketing.attribution.pathset` (the write path marks journeys, the worker
catches up, the demo / import / nightly job rebuild).
"""

from __future__ import annotations

from django.db import models


class PathKey(models.Model):
    """The integer code of one key (a channel, a campaign name, ...) of one level."""

    level = models.CharField(max_length=20)
    code = models.IntegerField()
    name = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="attribution_pathkey_code"),
            models.UniqueConstraint(fields=["level", "name"], name="attribution_pathkey_name"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.code}: {self.name}"


class JourneyPath(models.Model):
    """One stored path at one level: a journey's conversion of a kind (or its non-converting
    path), as the codes of its touches' keys at ``level``.

    ``conv``/``value``/``nulls`` are 1/amount/0 for a conversion, 0/0/1 for a
    non-converting path. A conversion without any touch in its window has an empty path
    (the engine's "(no touch)"). ``deal_id`` and ``owner_id`` are the converting deal and
    its owner (opportunity and won kinds). One narrow row per level keeps a level's read
    small: a slice of one level is read without the other levels' paths.
    """

    conversion = models.CharField(max_length=12)
    account_level = models.BooleanField(default=False)
    level = models.CharField(max_length=20)
    journey = models.CharField(max_length=40)
    seq = models.IntegerField()
    at = models.FloatField(help_text="Conversion (or last touch) time, epoch seconds UTC.")
    conv = models.FloatField()
    value = models.FloatField()
    nulls = models.FloatField()
    deal_id = models.IntegerField(null=True)
    owner_id = models.IntegerField(null=True)
    path = models.TextField(blank=True)

    class Meta:
        # plain indexes (no unique constraint): a full rebuild drops and recreates them
        # around its bulk insert, which is several times faster than maintaining them
        indexes = [
            # covering: a slice's distinct paths are read from the index alone, in path order
            models.Index(
                fields=["conversion", "account_level", "level", "path", "at", "conv", "value",
                        "nulls", "owner_id"],
                name="attribution_jp_paths",
            ),
            models.Index(
                fields=["account_level", "journey", "conversion", "level", "seq"],
                name="attribution_jp_journey",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversion} {self.level} {self.journey}#{self.seq}"


class PathTiming(models.Model):
    """The times of one converting stored path: what the time-aware heuristics read.

    ``ages`` are the days from each touch to the conversion (comma-separated, in path
    order) and ``lead_pos``/``opp_pos``/``won_pos`` the W-shaped / full-path milestone
    touches (1-based, null when unknown).
    """

    conversion = models.CharField(max_length=12)
    account_level = models.BooleanField(default=False)
    journey = models.CharField(max_length=40)
    seq = models.IntegerField()
    ages = models.TextField(blank=True)
    lead_pos = models.IntegerField(null=True)
    opp_pos = models.IntegerField(null=True)
    won_pos = models.IntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["account_level", "journey", "conversion", "seq"],
                name="attribution_timing_journey",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversion} {self.journey}#{self.seq} timing"


class PathDirty(models.Model):
    """A contact, account or deal whose journeys need recomputing (the write path's marks)."""

    contact_id = models.IntegerField(null=True)
    account_id = models.IntegerField(null=True)
    deal_id = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"dirty contact={self.contact_id} account={self.account_id} deal={self.deal_id}"


class PathScratch(models.Model):
    """The journeys one catch-up recomputes, for the duration of its transaction (the
    compiled conversion query joins it, so its SQL stays the same for every catch-up)."""

    journey = models.CharField(max_length=40, db_index=True)

    def __str__(self) -> str:
        return self.journey


class PathSetState(models.Model):
    """The path set's checkpoint (one row): what it has seen, when it was built and refreshed.

    The ``*_id`` fields are the highest ids of the source tables folded in (rows inserted
    in bulk, without signals, are found by id); ``version`` changes on every write so read
    caches can key on it.
    """

    touchpoint_id = models.BigIntegerField(default=0)
    stage_change_id = models.BigIntegerField(default=0)
    contact_id = models.BigIntegerField(default=0)
    deal_id = models.BigIntegerField(default=0)
    deal_stage_change_id = models.BigIntegerField(default=0)
    deal_contact_id = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    build_seconds = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"path set v{self.version} (built {self.built_at})"
