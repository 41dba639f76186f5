"""What the desk's admin actions share: apply a service to each selected object and say what
happened, and the confirmation page an action shows before it applies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext


@dataclass
class EachResult:
    """What the service returned for each object it accepted, and why it refused the others."""

    done: list = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def report(model_admin, request, *, done: str | None, refused: dict[str, str]) -> None:
    """One success message (if ``done``) and one error per refused object, by name."""
    if done:
        model_admin.message_user(request, done, messages.SUCCESS)
    for name, reason in refused.items():
        refusal = gettext("%(name)s refused: %(reason)s") % {"name": name, "reason": reason}
        model_admin.message_user(request, refusal, messages.ERROR)


def apply_each(
    model_admin,
    request,
    objects: Iterable,
    apply: Callable,
    *,
    done: Callable[[list], str | None],
    name: Callable[[object], str] = str,
) -> EachResult:
    """Call ``apply`` (a service) on each object on its own: a refusal (ValidationError) is
    reported by the object's ``name`` and the others go through; ``done`` words the success."""
    result = EachResult()
    for obj in objects:
        try:
            result.done.append(apply(obj))
        except ValidationError as error:
            result.refused[name(obj)] = " ".join(error.messages)
    report(model_admin, request, done=done(result.done) if result.done else None, refused=result.refused)
    return result


def confirmation_page(model_admin, request, template: str, *, title: str, **context) -> TemplateResponse:
    """The page an action shows to ask for its details (or confirmation) before it applies."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "opts": model_admin.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            **context,
        },
    )
