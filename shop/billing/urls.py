from django.urls import path

from shop.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.ProgramView.as_view(), name="program"),
    path("<int:plan_id>/quit/", views.TrialQuitView.as_view(), name="trial-quit"),
    path(
        "staff/<str:action>/<int:pk>/",
        views.StaffPlanActionView.as_view(),
        name="staff-action",
    ),
    path("<int:plan_id>/cancel/", views.PaymentsCancelView.as_view(), name="payments-cancel"),
    path("<int:plan_id>/card/", views.CardUpdateView.as_view(), name="card-update"),
    path("quit/<str:token>/", views.TrialQuitLinkView.as_view(), name="trial-quit-link"),
    path("confirm/<str:token>/", views.PaymentConfirmView.as_view(), name="payment-confirm"),
    path(
        "cancel/<str:token>/", views.PaymentsCancelLinkView.as_view(), name="payments-cancel-link"
    ),
]
