from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Transparency — requests desk"
admin.site.site_title = "Transparency desk"
admin.site.index_title = "Government data requests"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("requests_app.urls")),
]

# A database failure outside a view still answers 503, not 500 (transparency/middleware.py).
handler500 = "transparency.middleware.server_error"
