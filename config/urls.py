from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from home import api as content_api
from home.views import favicon, robots_txt, site_search_view
from shop.billing import api as shop_api
from shop.downloads import api as downloads_api
from shop.search.views.catalogue import store_front
from web.api import ItemIdConverter, api_not_found
from web.health import healthz

register_converter(ItemIdConverter, "item_id")
handler500 = "web.errors.server_error"
wagtail_api_urls = content_api.wagtail_api_router.urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", favicon, name="favicon"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("search/", site_search_view, name="site_search"),
    path("django-admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", wagtail_api_urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/glossary-terms/", content_api.GlossaryTermListView.as_view()),
    path("api/glossary-terms/<slug:slug>/", content_api.GlossaryTermDetailView.as_view()),
    path("api/testimonials/", content_api.TestimonialListView.as_view()),
    path("api/testimonials/<item_id:pk>/", content_api.TestimonialDetailView.as_view()),
    path("api/authors/", content_api.AuthorListView.as_view()),
    path("api/authors/<item_id:pk>/", content_api.AuthorDetailView.as_view()),
    path("api/reviewers/", content_api.ReviewerListView.as_view()),
    path("api/reviewers/<item_id:pk>/", content_api.ReviewerDetailView.as_view()),
    path("api/navigation/", content_api.NavigationView.as_view()),
    path("api/site-settings/", content_api.SiteSettingsView.as_view()),
    path("api/shop/products/", shop_api.TrialProductListView.as_view()),
    path("api/shop/products/<item_id:pk>/", shop_api.TrialProductDetailView.as_view()),
    path("api/account/plans/", shop_api.CustomerPlanListView.as_view()),
    path("api/account/downloads/", downloads_api.CustomerDownloadsView.as_view()),
    re_path(r"^api/", api_not_found),
    path("shop/accounts/program/", include("shop.billing.urls")),
    path("shop/stripe/webhook/", include("shop.billing.webhook_urls")),
    path("shop/accounts/downloads/", include("shop.downloads.urls")),
    path("shop/accounts/", include("shop.accounts.urls")),
    # The email provider's signed delivery events (shop.emails.webhooks), e.g.
    # /shop/email-events/postmark/tracking/ or /shop/email-events/mailgun/tracking/.
    path("shop/email-events/", include("anymail.urls")),
    # Before Oscar's own "/shop/" (a redirect to the list): a shop of one product opens it.
    path("shop/", store_front, name="store_front"),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other path, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
