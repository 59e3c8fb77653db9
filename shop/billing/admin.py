"""What the billing keeps for staff to look at in the Django admin (``/django-admin/``).

The emails the shop owes: a mail server that refused one leaves it here, unsent, with the
reason, until a billing run sends it. Read-only: each row is a record of what was owed and
when it went out, kept whole for disputes."""

from django.contrib import admin

from shop.billing.models import OutgoingEmail


class SentFilter(admin.SimpleListFilter):
    title = "sent"
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", "Sent"), ("no", "Waiting to be sent")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "code",
        "order_number",
        "sent_at",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = [SentFilter, "code"]
    search_fields = ["order__number", "order__user__email", "code"]
    date_hierarchy = "created_at"
    list_select_related = ["order"]

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, email):
        return email.order.number

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
