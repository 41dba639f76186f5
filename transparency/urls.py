from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from requests_app.admin.national_security import view_on_site_shortcut

admin.site.site_header = "Transparency — requests desk"
admin.site.site_title = "Transparency desk"
admin.site.index_title = "Government data requests"

urlpatterns = [
    # (before the admin's own: its shortcut would tell national-security ids apart)
    path(f"{settings.ADMIN_URL}r/<int:content_type_id>/<path:object_id>/", view_on_site_shortcut),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("requests_app.urls")),
]

# A database failure outside a view still answers 503, not 500 (transparency/middleware.py).
handler500 = "transparency.middleware.server_error"
