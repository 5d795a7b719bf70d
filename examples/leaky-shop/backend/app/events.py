"""Events sent to Perkamo when shoppers sign up and check out."""

import requests

from .perkamo_client import _headers
from .settings import PERKAMO_API


def signup_completed(form):
    requests.post(f"{PERKAMO_API}/v1/events", json={
        "user_id": form["user_id"],
        "type": "signup_completed",
        "email": form["email"],
        "password": form["password"],
        "referral_code": form.get("referral_code"),
    }, headers=_headers(), timeout=5)


def order_paid(order):
    requests.post(f"{PERKAMO_API}/v1/events", json={
        "user_id": order.customer_id,
        "type": "order_paid",
        "transaction_id": f"order-{order.id}",
        "properties": {"amount_cents": order.total_cents, "currency": order.currency},
    }, headers=_headers(), timeout=5)


def password_reset_requested(user, token):
    requests.post(f"{PERKAMO_API}/v1/events", json={
        "user_id": user.id,
        "type": "password_reset_requested",
        "properties": {"reset_link": f"https://leaky-shop.com/reset?token={token}"},
    }, headers=_headers(), timeout=5)


def member_profile_updated(member):
    traits = {"tier": member.tier, "country": member.country, "email": member.email}
    traits["date_of_birth"] = member.birth_date.isoformat()
    requests.post(f"{PERKAMO_API}/v1/identify", json={"user_id": member.id, "traits": traits},
                  headers=_headers(), timeout=5)
