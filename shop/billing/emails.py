"""Emails about a plan, as Oscar communication events so the author can edit their texts in
the dashboard (Communications). A mail failure is logged; it never undoes what happened."""

import logging

from oscar.core.loading import get_class

logger = logging.getLogger(__name__)

OrderDispatcher = get_class("order.utils", "OrderDispatcher")


def plan_email_send(*, plan, code: str, extra: dict | None = None) -> None:
    """Send the plan's customer the message for ``code`` (e.g. TRIAL_QUIT)."""
    order = plan.order
    context = {"order": order, "plan": plan, "user": plan.user, **(extra or {})}
    try:
        dispatcher = OrderDispatcher(logger=logger)
        messages = dispatcher.dispatcher.get_messages(code, context)
        dispatcher.dispatch_order_messages(order, messages, code)
    except Exception:
        logger.exception("Email %s for order %s could not be sent", code, order.number)
