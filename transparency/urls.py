from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from requests_app.admin.national_security import view_on_site_shortcut

# The desk stays English (docs/translation.md): its titles are marked all the same.
admin.site.site_header = _("Transparency — requests desk")
admin.site.site_title = _("Transparency desk")
admin.site.index_title = _("Government data requests")

urlpatterns = [
    # (before the admin's own: its shortcut would tell national-security ids apart)
    path(f"{settings.ADMIN_URL}r/<int:content_type_id>/<path:object_id>/", view_on_site_shortcut),
    path(settings.ADMIN_URL, admin.site.urls),
    # The public site: English at the URLs it always had, Traditional Chinese under /zh-hant/.
    # The /data/ files have one address, without a prefix, whatever the language (views.py).
    *i18n_patterns(path("", include("requests_app.urls")), prefix_default_language=False),
]

# A database failure outside a view still answers 503, not 500 (transparency/middleware.py).
handler500 = "transparency.middleware.server_error"
