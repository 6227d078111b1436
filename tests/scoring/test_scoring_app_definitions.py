"""Definition versions: invalid text is never stored or activated; the active one stays."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from smarketing.scoring.actions import do_activate_definition, do_save_definition
from smarketing.scoring.models import ScoringDefinition
from smarketing.scoring.selectors import active_definition


@pytest.mark.django_db
def test_save_and_activate_versions(definition_text):
    DEFINITION = definition_text
    first = do_save_definition(text=DEFINITION, activate=True, rescore=False)
    assert first.active and first.version == 2 and first.name == "Test definition"
    second = do_save_definition(text=DEFINITION.replace("version: 2", "version: 3"))
    assert not second.active
    row, parsed = active_definition()
    assert row == first and parsed.version == 2
    do_activate_definition(definition=second, rescore=False)
    first.refresh_from_db()
    assert not first.active and ScoringDefinition.objects.get(active=True) == second


@pytest.mark.django_db
def test_invalid_definition_is_rejected_with_lines_and_active_unchanged(
    definition_text, bad_definition_text
):
    DEFINITION, BAD = definition_text, bad_definition_text
    good = do_save_definition(text=DEFINITION, activate=True, rescore=False)
    with pytest.raises(ValidationError) as caught:
        do_save_definition(text=BAD, activate=True, rescore=False)
    messages = caught.value.message_dict["text"]
    assert any("line 4" in m and "half_life_days" in m for m in messages), messages
    assert any("ad_clik" in m and "ad_click" in m for m in messages), messages
    assert ScoringDefinition.objects.count() == 1
    assert active_definition()[0] == good


@pytest.mark.django_db
def test_a_row_corrupted_behind_the_apps_back_never_activates(definition_text, bad_definition_text):
    DEFINITION, BAD = definition_text, bad_definition_text
    good = do_save_definition(text=DEFINITION, activate=True, rescore=False)
    other = do_save_definition(text=DEFINITION)
    ScoringDefinition.objects.filter(pk=other.pk).update(text=BAD)
    other.refresh_from_db()
    with pytest.raises(ValidationError):
        do_activate_definition(definition=other, rescore=False)
    assert active_definition()[0] == good


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "version: [", "just text"])
def test_garbage_is_rejected(text):
    with pytest.raises(ValidationError):
        do_save_definition(text=text, activate=True)
    assert not ScoringDefinition.objects.exists()
