"""Field names: whole-word matching on the head of the name, one table."""

from __future__ import annotations

import pytest

from perkamo_guard.fields import FieldTable, field_table, split_words


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("card_number", ("card", "number")),
        ("cardNumber", ("card", "number")),
        ("card-number", ("card", "number")),
        ("CardNumber", ("card", "number")),
        ("CVV2", ("cvv", "2")),
        ("APIKey", ("api", "key")),
        ("address_line1", ("address", "line", "1")),
        ("x-api-key", ("x", "api", "key")),
        ("", ()),
    ],
)
def test_names_split_into_lower_case_words(name: str, words: tuple[str, ...]) -> None:
    assert split_words(name) == words


@pytest.mark.parametrize(
    "name",
    [
        "password", "Password", "PASSWORD", "passwd", "pwd", "passcode", "pin", "pin_code",
        "new_password", "password_hash", "passwordConfirmation", "card_number", "cardNumber",
        "card_no", "cardnumber", "pan", "cvv", "cvc", "cvv2", "ccv", "security_code",
        "card_expiry", "auth_token", "access_token", "refreshToken", "id_token",
        "session_token", "token", "bearer", "authorization", "Authorization", "api_key",
        "apikey", "apiKey", "x-api-key", "client_secret", "secret", "private_key", "jwt",
        "cookie",
    ],
)
def test_sensitive_names_are_pg301(name: str) -> None:
    found = field_table().classify(name)
    assert found is not None and found.rule == "PG301"


@pytest.mark.parametrize(
    "name",
    [
        "tokens_earned", "transaction_id", "token_count", "tokenCount",
        "password_reset_requested_at", "card_tier", "last4", "bypass_cache", "has_password",
        "is_pin_set", "password_changed", "api_key_id", "idempotency_key", "passwordless",
        "spin", "pinned", "expiry", "points_expiry", "token_balance", "tokens", "user_id",
        "email", "order_id", "tier", "points", "secret_santa", "card_type", "cvv_verified",
        "card_token", "cardToken", "payment_token", "reward_token",
    ],
)
def test_harmless_names_are_silent(name: str) -> None:
    assert field_table().classify(name) is None


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("ssn", "national id"),
        ("national_id", "national id"),
        ("driversLicense", "national id"),
        ("passport", "passport"),
        ("passport_number", "passport"),
        ("dob", "date of birth"),
        ("dateOfBirth", "date of birth"),
        ("birthdate", "date of birth"),
        ("address", "postal address"),
        ("address_line_1", "postal address"),
        ("shippingAddress", "postal address"),
        ("street", "postal address"),
        ("phone", "phone number"),
        ("phoneNumber", "phone number"),
        ("mobile", "phone number"),
        ("msisdn", "phone number"),
    ],
)
def test_personal_names_are_pg303(name: str, category: str) -> None:
    found = field_table().classify(name)
    assert found is not None and (found.rule, found.category) == ("PG303", category)


@pytest.mark.parametrize(
    "name",
    ["email_address", "emailAddress", "ip_address", "wallet_address", "city", "zip",
     "postal_code", "country", "birth_month", "phone_verified", "is_mobile", "address_id"],
)
def test_coarse_or_identifying_names_are_not_personal(name: str) -> None:
    assert field_table().classify(name) is None


def test_configuration_extends_both_tables() -> None:
    table = FieldTable(sensitive=("member_secret_answer",), personal=("loyalty_card_holder",))
    sensitive = table.classify("memberSecretAnswer")
    personal = table.classify("loyalty_card_holder_name")
    assert sensitive is not None and sensitive.rule == "PG301"
    assert personal is None  # the phrase must end the name, as for built-in ones
    holder = table.classify("loyaltyCardHolder")
    assert holder is not None and holder.rule == "PG303"


def test_table_is_built_once_per_configuration() -> None:
    assert field_table(("a",), ()) is field_table(("a",), ())
