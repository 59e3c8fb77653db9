"""The shop dashboard's index, with its revenue figures as money collected.

Oscar sums the orders' totals, so a tryout that has collected nothing counts its full price
("Total revenue $197.00" for $0.00 taken). Here revenue is what Stripe took minus refunds
(shop.sales.figures), as on the sales report; tryout orders count $0.
"""

from datetime import timedelta
from decimal import ROUND_UP, Decimal

from django.utils.timezone import now
from oscar.apps.dashboard import views

from shop.billing.money import from_minor_units
from shop.sales.figures import collected_between, shop_currency


def collected(start, end) -> Decimal:
    return from_minor_units(collected_between(start, end), shop_currency())


class IndexView(views.IndexView):
    def get_stats(self):
        stats = super().get_stats()
        if self.request.user.is_staff:
            moment = now()
            stats["total_revenue"] = collected(None, moment)
            stats["total_revenue_last_day"] = collected(moment - timedelta(hours=24), moment)
        else:
            # Shop-wide money is not a partner's business; Oscar's order totals are not revenue.
            stats["total_revenue"] = stats["total_revenue_last_day"] = None
        return stats

    def get_hourly_report(self, orders, hours=24, segments=10):
        """Money collected in two-hour chunks over the last ``hours`` (Oscar's chart of
        "order revenue"), scaled as Oscar scales it."""
        if not self.request.user.is_staff:
            return super().get_hourly_report(orders.none(), hours, segments)
        time_now = now().replace(minute=0, second=0, microsecond=0)
        start_time = time_now - timedelta(hours=hours - 1)
        chunks = []
        for _ in range(0, hours, 2):
            end_time = start_time + timedelta(hours=2)
            chunks.append({"end_time": end_time, "total_incl_tax": collected(start_time, end_time)})
            start_time = end_time
        max_value = max(max(chunk["total_incl_tax"] for chunk in chunks), Decimal(0))
        divisor = 1
        while divisor < max_value / 50:
            divisor *= 10
        max_value = (max_value / divisor).quantize(Decimal("1"), rounding=ROUND_UP) * divisor
        y_range = []
        if max_value:
            segment_size = max_value / Decimal("100.0")
            for chunk in chunks:
                chunk["percentage"] = max(int(chunk["total_incl_tax"] / segment_size), 0)
            step = max_value / Decimal(str(segments))
            y_range = [index * step for index in reversed(range(segments + 1))]
        else:
            for chunk in chunks:
                chunk["percentage"] = 0
        return {"order_total_hourly": chunks, "max_revenue": max_value, "y_range": y_range}
