import logging

from oscar.apps.checkout import mixins

from shop.billing.emails import ORDER_PLACED, email_queue, email_send
from shop.billing.models import InstallmentPlan
from shop.billing.reminders import quit_link_path

logger = logging.getLogger(__name__)


class OrderPlacementMixin(mixins.OrderPlacementMixin):
    def send_order_placed_email(self, order):
        """Write the confirmation down and send it; a mail failure never undoes the order.

        Oscar calls this after the order is written and the basket submitted; an exception
        here would make its checkout view thaw the basket and show an error for an order that
        exists, inviting a second one. An email that cannot be sent now is logged and sent by
        the next billing run (``shop.billing.emails``), once.
        """
        try:
            # A tryout's email quits with one click: the signed link's page has the one button.
            plan = InstallmentPlan.objects.filter(order=order, with_trial=True).first()
            extra = {"quit_path": quit_link_path(plan)} if plan is not None else None
            email = email_queue(order=order, code=ORDER_PLACED, key="placed", extra=extra)
            # The order is committed by now: send at once (a second try after commit finds
            # it sent and does nothing).
            email_send(email_id=email.pk)
        except Exception:
            logger.exception(
                "Order #%s placed, but its confirmation email could not be written down",
                order.number,
            )
