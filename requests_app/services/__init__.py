"""Every write of the desk: keyword-only functions, one transaction each, audit trail recorded.

One module per aggregate: ``requests`` (the request workflow), ``pauses`` (pause decisions and
the holds they put on requests), ``publishing`` (report periods), ``catalog`` (the managed
lists), ``intake`` (CSV imports), ``jurisdictions`` (international bodies publishers add),
``national_security`` (requests for cleared staff, bands) and ``versions`` (optimistic locking,
shared by all). The rules they apply are in ``rules.py``.
Admin ``save_model`` and actions, management commands, the importer and tests call these
functions by the names re-exported here (``services.request_create(...)``). History rows
(django-simple-history) record who changed what; ``actor`` is that user.
"""

from ..choices import HOLDABLE_REQUEST_STATUSES
from ..rules import WORKFLOW_FIELDS
from .catalog import (
    CatalogUsage,
    catalog_create_missing,
    catalog_define,
    catalog_delete,
    catalog_update,
    catalog_usage,
    catalog_usage_of,
)
from .intake import authorities_create_bulk, import_run_finish, import_run_start
from .jurisdictions import international_body_create, international_body_delete, international_body_update
from .national_security import ImportedBand, ns_request_create, ns_request_update, ns_requests_create_bulk
from .pauses import (
    ArrivalHolds,
    HoldChange,
    pause_create,
    pause_hold_preview,
    pause_lift,
    pause_publish,
    pause_unpublish,
    pause_update,
    pauses_apply_due,
)
from .publishing import (
    ImportedFigure,
    bands_import,
    figures_import,
    period_publish,
)
from .requests import (
    BulkResult,
    Decision,
    TransitionError,
    request_assign,
    request_complete,
    request_create,
    request_start_review,
    request_transition_check,
    request_update,
    request_withdraw,
    requests_complete_bulk,
)
from .versions import ConcurrentEditError

# The importer reads the holdable statuses under this name (DataRequest.HOLDABLE_STATUSES).
HOLDABLE_ON_ARRIVAL = HOLDABLE_REQUEST_STATUSES

__all__ = [
    "WORKFLOW_FIELDS",
    "HOLDABLE_ON_ARRIVAL",
    "ArrivalHolds",
    "BulkResult",
    "CatalogUsage",
    "ConcurrentEditError",
    "Decision",
    "HoldChange",
    "ImportedBand",
    "ImportedFigure",
    "TransitionError",
    "authorities_create_bulk",
    "bands_import",
    "catalog_create_missing",
    "catalog_define",
    "catalog_delete",
    "catalog_update",
    "catalog_usage",
    "catalog_usage_of",
    "ns_request_create",
    "ns_request_update",
    "ns_requests_create_bulk",
    "figures_import",
    "import_run_finish",
    "import_run_start",
    "international_body_create",
    "international_body_delete",
    "international_body_update",
    "pause_create",
    "pause_hold_preview",
    "pause_lift",
    "pause_publish",
    "pause_unpublish",
    "pause_update",
    "pauses_apply_due",
    "period_publish",
    "request_assign",
    "request_complete",
    "request_create",
    "request_start_review",
    "request_transition_check",
    "request_update",
    "request_withdraw",
    "requests_complete_bulk",
]
