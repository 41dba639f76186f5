"""The choices of the domain, and the groups of them the rules speak of.

They live apart from the models so that the pure rules (``rules.py``) can name them without
importing the models, which call those rules from ``clean()``.
"""

from __future__ import annotations

from django.db import models


class AuthorityKind(models.TextChoices):
    POLICE = "police", "Police"
    PROSECUTOR = "prosecutor", "Prosecutor"
    COURT = "court", "Court"
    INTELLIGENCE = "intelligence", "Intelligence service"
    REGULATOR = "regulator", "Regulator"
    OTHER = "other", "Other"


class RequestType(models.TextChoices):
    LEGAL_PROCESS = "legal_process", "Legal process"
    EMERGENCY = "emergency", "Emergency disclosure"
    PRESERVATION = "preservation", "Preservation"


class PublishedRequestType(models.TextChoices):
    """A published figure row's type: the request types, and "all" for imported reports from
    before platforms split their figures by type."""

    LEGAL_PROCESS = RequestType.LEGAL_PROCESS.value, RequestType.LEGAL_PROCESS.label
    EMERGENCY = RequestType.EMERGENCY.value, RequestType.EMERGENCY.label
    PRESERVATION = RequestType.PRESERVATION.value, RequestType.PRESERVATION.label
    ALL = "all", "All request types"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "In review"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Outcome(models.TextChoices):
    ALL_DATA = "all_data", "All data produced"
    SOME_DATA = "some_data", "Some data produced"
    NO_DATA = "no_data", "No data found"
    REJECTED = "rejected", "Rejected"


class Disclosure(models.TextChoices):
    CONTENT = "content", "Content"
    NON_CONTENT = "non_content", "Non-content"


class OutcomeReason(models.TextChoices):
    LEGALLY_INSUFFICIENT = "legally_insufficient", "Legally insufficient"
    OVERBROAD = "overbroad", "Overbroad"
    JURISDICTION_PAUSED = "jurisdiction_paused", "Jurisdiction paused"
    HUMAN_RIGHTS = "human_rights", "Human-rights concern"
    UNVERIFIED_EMERGENCY = "unverified_emergency", "Unverified emergency"
    NO_ACCOUNT = "no_account", "No matching account"
    PRESERVED = "preserved", "Data preserved (a preservation request discloses nothing)"
    OTHER = "other", "Other"


class PauseException(models.TextChoices):
    THREAT_TO_LIFE = "threat_to_life", "Imminent threat to life or serious injury"
    CHILD_SAFETY = "child_safety", "Child safety"
    OTHER = "other", "Other exception approved by counsel"


class UserNotification(models.TextChoices):
    NOTIFIED = "notified", "Notified"
    DELAYED = "delayed", "Delayed by order"
    NOT_NOTIFIED = "not_notified", "Not notified"


class PauseStatus(models.TextChoices):
    ASSESSING = "assessing", "Assessing"
    PAUSED = "paused", "Paused"
    REDIRECTED = "redirected", "Redirected (e.g. only via MLAT)"
    LIFTED = "lifted", "Lifted"


class PublicationSource(models.TextChoices):
    COMPUTED = "computed", "Computed from request records"
    IMPORTED = "imported", "Imported historical figures"


class ImportSource(models.TextChoices):
    COMMAND = "command", "Command line (import_requests)"
    ADMIN = "admin", "Admin upload"


# A request is open until it is completed or withdrawn.
OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_REVIEW, RequestStatus.ON_HOLD)
# The open statuses a pause decision puts on hold (on_hold itself is the result).
HOLDABLE_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_REVIEW)
PRODUCED_OUTCOMES = (Outcome.ALL_DATA, Outcome.SOME_DATA)
# Refusals say why: a reason is required for these outcomes when a request is decided.
REASON_REQUIRED_OUTCOMES = (Outcome.REJECTED, Outcome.NO_DATA)
# The pause statuses in which a decision holds (or redirects) requests.
HOLDING_PAUSE_STATUSES = (PauseStatus.PAUSED, PauseStatus.REDIRECTED)
