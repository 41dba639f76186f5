"""The workflow on a request's change page: a reviewer decides where she reads.

The steps (one request, one user) are also what the list's actions apply to each selected one.

The same services as the list's actions (assign to me, start review, complete, withdraw), for
the one request on the page, with the same form and refusals; each step is a POST to
``<pk>/workflow/<step>/`` and comes back to the change page with what happened.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import DataRequest
from .actions import apply_each, confirmation_page, report
from .forms import CompleteForm

S = DataRequest.Status


def assign_to_me(obj, user):
    return services.request_assign(request=obj, assignee=user, actor=user)


def start_review(obj, user):
    return services.request_start_review(request=obj, actor=user)


def withdraw(obj, user):
    return services.request_withdraw(request=obj, actor=user)


# step: (button, the status it moves to (None: no move), the service for one request)
STEPS = {
    "assign_to_me": (_("Assign to me"), None, assign_to_me),
    "start_review": (_("Start review"), S.IN_REVIEW, start_review),
    "complete": (_("Complete…"), S.COMPLETED, None),  # asks for the decision first
    "withdraw": (_("Withdraw"), S.WITHDRAWN, withdraw),
}


def available_steps(obj: DataRequest, user) -> list[tuple[str, str]]:
    """(step, button) of the moves the workflow allows this request now."""
    steps = []
    for step, (button, status, _service) in STEPS.items():
        if status is None:
            if obj.status in DataRequest.OPEN_STATUSES and obj.assignee_id != user.pk:
                steps.append((step, button))
            continue
        try:
            services.request_transition_check(request=obj, status=status)
        except ValidationError:
            continue
        steps.append((step, button))
    return steps


class RequestWorkflowMixin:
    """Adds the workflow steps to DataRequestAdmin's change page."""

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/workflow/<str:step>/",
                self.admin_site.admin_view(self.workflow_view),
                name=f"{opts.app_label}_{opts.model_name}_workflow",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The request the page already loaded; no second look-up for the buttons.
        can_change = obj is not None and self.has_change_permission(request, obj)
        context["workflow_steps"] = available_steps(obj, request.user) if can_change else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def workflow_view(self, request, object_id, step):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or step not in STEPS:
            raise Http404("No such request or step.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:requests_app_datarequest_change", args=[obj.pk])
        if step == "complete":
            return self._complete_one(request, obj, change_url)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        button, _status, service = STEPS[step]
        ref = obj.reference
        apply_each(
            self,
            request,
            [obj],
            lambda one: service(one, request.user),
            done=lambda done: gettext("%(step)s: %(reference)s.") % {"step": button, "reference": ref},
            name=lambda one: one.reference,
        )
        return redirect(change_url)

    def _complete_one(self, request, obj: DataRequest, change_url: str):
        form = CompleteForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            result = services.requests_complete_bulk(
                requests=[obj], decision=services.Decision(**form.cleaned_data), actor=request.user
            )
            done = gettext("Completed: %(reference)s.") % {"reference": obj.reference}
            done = done if result.done else None
            report(self, request, done=done, refused=result.refused)
            return redirect(change_url)
        return confirmation_page(
            self,
            request,
            "admin/requests_app/complete_request.html",
            title=gettext("Complete %(reference)s") % {"reference": obj.reference},
            form=form,
            original=obj,
            change_url=change_url,
        )
