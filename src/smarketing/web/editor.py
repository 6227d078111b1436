"""The YAML document editor shared by the SLA and scoring pages: validated on save, problems
listed by line with those lines highlighted, nothing stored until the document is valid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render


@dataclass(frozen=True)
class EditorPage:
    """What differs between the editors: wording, ids and where Cancel goes."""

    title: str
    intro: str
    label: str
    errors_id: str
    cancel_url: str
    activate_label: str = "Put it in force now"
    activate_checked: bool = False
    noun: str = "document"


def located_errors(text: str, load: Callable[[str], object], error: type[Exception]) -> list[dict]:
    """The problems ``load(text)`` raises as ``error`` (with ``errors`` of line-located issues:
    ``line``, ``field``, ``message``), as the ``{line, field, message, text}`` dicts the editor
    lists; empty when the document is valid. For the SLA and ICP documents."""
    try:
        load(text)
    except error as exc:
        return [
            {"line": i.line, "field": i.field, "message": i.message, "text": str(i)}
            for i in exc.errors
        ]
    return []


def yaml_editor(
    request,
    *,
    initial: str,
    check: Callable[[str], list[dict]],
    save: Callable[[str, bool], str],
    page: EditorPage,
    done: str,
):
    """Show the editor (GET) or validate and save the posted text (POST).

    ``check(text)`` returns the problems as ``{line, field, message, text}`` dicts;
    ``save(text, activate)`` stores a valid text and returns the success message (a
    ``ValidationError`` it raises is listed like the problems). On success: redirect to
    ``done``.
    """
    posted = request.method == "POST"
    text = request.POST.get("text") if posted else None
    if text is None:
        text = initial
    errors = check(text) if posted else []
    if posted and not errors:
        try:
            message = save(text, bool(request.POST.get("activate")))
        except ValidationError as exc:
            errors = [{"line": None, "field": "", "message": m, "text": m} for m in exc.messages]
        else:
            messages.success(request, message)
            return redirect(done)
    return render(
        request,
        "web/yaml_editor.html",
        {
            "page": page,
            "text": text,
            "errors": errors,
            "error_lines": [e["line"] for e in errors if e["line"]],
            "lines": text.splitlines(),
        },
    )
