"""The choices of the domain, and the groups of them the rules speak of.

They live apart from the models so that the pure rules (``rules.py``) can name them without
importing the models, which call those rules from ``clean()``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuthorityKind(models.TextChoices):
    POLICE = "police", _("Police")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    COURT = "court", _("Court")
    INTELLIGENCE = "intelligence", _("Intelligence service")
    REGULATOR = "regulator", _("Regulator")
    OTHER = "other", _("Other")


class RequestType(models.TextChoices):
    LEGAL_PROCESS = "legal_process", _("Legal process")
    EMERGENCY = "emergency", _("Emergency disclosure")
    PRESERVATION = "preservation", _("Preservation")


class PublishedRequestType(models.TextChoices):
    """A published figure row's type: the request types, and "all" for imported reports from
    before platforms split their figures by type."""

    LEGAL_PROCESS = RequestType.LEGAL_PROCESS.value, RequestType.LEGAL_PROCESS.label
    EMERGENCY = RequestType.EMERGENCY.value, RequestType.EMERGENCY.label
    PRESERVATION = RequestType.PRESERVATION.value, RequestType.PRESERVATION.label
    ALL = "all", _("All request types")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_REVIEW = "in_review", _("In review")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Outcome(models.TextChoices):
    ALL_DATA = "all_data", _("All data produced")
    SOME_DATA = "some_data", _("Some data produced")
    NO_DATA = "no_data", _("No data found")
    REJECTED = "rejected", _("Rejected")


class Disclosure(models.TextChoices):
    CONTENT = "content", _("Content")
    NON_CONTENT = "non_content", _("Non-content")


class OutcomeReason(models.TextChoices):
    LEGALLY_INSUFFICIENT = "legally_insufficient", _("Legally insufficient")
    OVERBROAD = "overbroad", _("Overbroad")
    JURISDICTION_PAUSED = "jurisdiction_paused", _("Jurisdiction paused")
    HUMAN_RIGHTS = "human_rights", _("Human-rights concern")
    UNVERIFIED_EMERGENCY = "unverified_emergency", _("Unverified emergency")
    NO_ACCOUNT = "no_account", _("No matching account")
    PRESERVED = "preserved", _("Data preserved (a preservation request discloses nothing)")
    OTHER = "other", _("Other")


class PauseException(models.TextChoices):
    THREAT_TO_LIFE = "threat_to_life", _("Imminent threat to life or serious injury")
    CHILD_SAFETY = "child_safety", _("Child safety")
    OTHER = "other", _("Other exception approved by counsel")


class UserNotification(models.TextChoices):
    NOTIFIED = "notified", _("Notified")
    DELAYED = "delayed", _("Delayed by order")
    NOT_NOTIFIED = "not_notified", _("Not notified")


class PauseStatus(models.TextChoices):
    ASSESSING = "assessing", _("Assessing")
    PAUSED = "paused", _("Paused")
    REDIRECTED = "redirected", _("Redirected (e.g. only via MLAT)")
    LIFTED = "lifted", _("Lifted")


# A pause status as the public reads it everywhere (badges, the map, the chart bands, the
# timeline): the choice's label without the desk's explanation in brackets.
PUBLIC_PAUSE_STATUS_LABELS = {
    PauseStatus.ASSESSING: _("Assessing"),
    PauseStatus.PAUSED: _("Paused"),
    PauseStatus.REDIRECTED: _("Redirected"),
    PauseStatus.LIFTED: _("Lifted"),
}


class PublicationSource(models.TextChoices):
    COMPUTED = "computed", _("Computed from request records")
    IMPORTED = "imported", _("Imported historical figures")


class ImportSource(models.TextChoices):
    COMMAND = "command", _("Command line (import_requests)")
    ADMIN = "admin", _("Admin upload")


# A request is open until it is completed or withdrawn.
OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_REVIEW, RequestStatus.ON_HOLD)
# The open statuses a pause decision puts on hold (on_hold itself is the result).
HOLDABLE_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_REVIEW)
PRODUCED_OUTCOMES = (Outcome.ALL_DATA, Outcome.SOME_DATA)
# Refusals say why: a reason is required for these outcomes when a request is decided.
REASON_REQUIRED_OUTCOMES = (Outcome.REJECTED, Outcome.NO_DATA)
# The pause statuses in which a decision holds (or redirects) requests.
HOLDING_PAUSE_STATUSES = (PauseStatus.PAUSED, PauseStatus.REDIRECTED)
