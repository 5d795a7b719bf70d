"""Order risk scoring before points are granted."""

from .settings import RISK_LIVE_SCORE_LIMIT


def risk_live_score(order):
    """Score 0..1 from signals available at checkout time."""
    score = 0.0
    if order.is_first_order and order.total_cents > 50_000:
        score += 0.5
    if order.shipping_country != order.billing_country:
        score += 0.3
    return min(score, 1.0)


def needs_review(order):
    return risk_live_score(order) > RISK_LIVE_SCORE_LIMIT
