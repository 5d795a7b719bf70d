"""Field names: the one table of words that make a payload field sensitive.

A field name is split into lower-case words (``cardNumber``, ``card_number``,
``card-number`` and ``CardNumber`` all read ``card number``), and a name
matches a phrase of the table when the phrase ends the name, give or take
a few trailing words that keep its meaning (``password_hash``,
``pin_code``, ``address_line_1``). Words before the phrase are free
(``new_password``, ``user_access_token``), so matching is on whole words
and on the name's head noun: ``tokens_earned``, ``token_count``,
``password_reset_requested_at`` and ``card_tier`` name something else.

A name that starts with a flag word (``has_password``, ``is_pin_set``)
names a yes/no fact, not the secret itself.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from perkamo_guard.lazy import lazy_compile

#: PG301: what an event payload must never carry, by category.
SENSITIVE: dict[str, tuple[str, ...]] = {
    "password": ("password", "passwd", "pwd", "passcode", "passphrase", "pin"),
    "card data": (
        "card_number", "card_no", "card_num", "card_nr", "cc_number", "cc_num",
        "ccnum", "pan", "cvv", "cvc", "ccv", "csc", "security_code",
        "card_expiry", "card_exp", "card_expiration",
    ),
    "authentication token": (
        "token", "jwt", "bearer", "authorization", "cookie", "credential",
        "credentials", "api_key", "access_key", "secret", "secret_key",
        "private_key", "signing_key", "encryption_key", "otp", "totp",
    ),
}

#: PG303: personal data that loyalty rules rarely need, by category.
PERSONAL: dict[str, tuple[str, ...]] = {
    "national id": (
        "national_id", "national_identity", "national_insurance", "ssn",
        "social_security", "tax_id", "id_card", "identity_card", "aadhaar", "cpf",
        "driver_license", "drivers_license", "driving_license", "driver_licence",
        "drivers_licence", "driving_licence",
    ),
    "passport": ("passport",),
    "date of birth": ("dob", "birth_date", "birthdate", "birthday", "date_of_birth"),
    "postal address": (
        "address", "addr", "street", "street_address", "postal_address",
        "house_number",
    ),
    "phone number": ("phone", "telephone", "tel", "mobile", "msisdn", "cell_phone"),
}

#: Names that end like a phrase above but mean something else.
NOT_SENSITIVE: tuple[str, ...] = (
    "email_address", "e_mail_address", "ip_address", "mac_address",
    "wallet_address", "web_address", "contract_address", "server_address",
    "remote_address", "host_address",
    # Payment providers' card tokens stand in for card data: PG301 and PG302
    # tell users to send them instead. Reward tokens are loyalty items.
    "card_token", "payment_token", "payment_method_token", "psp_token",
    "reward_token", "loyalty_token", "voucher_token", "coupon_token",
)

#: Words after a phrase that keep its meaning: ``password_hash``, ``pin_code``.
TRAILING = frozenset({
    "hash", "hashed", "digest", "plain", "plaintext", "clear", "cleartext", "raw",
    "value", "val", "confirm", "confirmation", "again", "repeat", "retype", "text",
    "str", "string", "encrypted", "enc", "encoded", "b64", "base64", "header",
    "field", "input", "number", "no", "num", "nr", "code", "line", "full",
})

#: First words that turn a name into a yes/no flag: ``has_password``.
FLAG_PREFIXES = frozenset({
    "has", "is", "was", "should", "needs", "need", "requires", "require", "can",
    "did", "use", "uses", "using", "allow", "allows", "enable", "enabled", "show",
    "hide", "with", "without", "no",
})

_WORDS = lazy_compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


class FieldClass(NamedTuple):
    """Why a field name is flagged: its rule and its category."""

    rule: str
    category: str


def split_words(name: str) -> tuple[str, ...]:
    """Split a field name into lower-case words: ``cardNumber2`` -> card, number, 2."""
    return tuple(word.lower() for word in _WORDS.findall(name))


class FieldTable:
    """The phrases of both rules, with any configured additions."""

    def __init__(self, sensitive: tuple[str, ...] = (), personal: tuple[str, ...] = ()) -> None:
        entries: list[tuple[tuple[str, ...], FieldClass | None]] = []
        for category, names in SENSITIVE.items():
            entries.extend((p, FieldClass("PG301", category)) for p in _phrases(names))
        entries.extend((p, FieldClass("PG301", "configured sensitive field"))
                       for p in _phrases(sensitive))
        for category, names in PERSONAL.items():
            entries.extend((p, FieldClass("PG303", category)) for p in _phrases(names))
        entries.extend((p, FieldClass("PG303", "configured personal field"))
                       for p in _phrases(personal))
        entries.extend((p, None) for p in _phrases(NOT_SENSITIVE))
        # NOTE: the longest phrase decides, so that ``email_address`` (not
        # flagged) wins over ``address`` (PG303); the first entry wins a tie.
        self._by_length: dict[int, dict[tuple[str, ...], FieldClass | None]] = {}
        for phrase, klass in entries:
            self._by_length.setdefault(len(phrase), {}).setdefault(phrase, klass)
        self._lengths = sorted(self._by_length, reverse=True)

    def classify(self, name: str) -> FieldClass | None:
        """Return why ``name`` is a sensitive or personal field, or None."""
        words = split_words(name)
        if not words or (len(words) > 1 and words[0] in FLAG_PREFIXES):
            return None
        for end in range(len(words), 0, -1):
            for length in self._lengths:
                if length <= end:
                    phrase = words[end - length:end]
                    if phrase in self._by_length[length]:
                        return self._by_length[length][phrase]
            if not _is_trailing(words[end - 1]):
                return None
        return None


def _is_trailing(word: str) -> bool:
    return word in TRAILING or word.isdigit()


def _phrases(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Split table entries into word tuples; ``card_number`` also as ``cardnumber``."""
    phrases = []
    for name in names:
        words = split_words(name)
        if words:
            phrases.append(words)
            if len(words) > 1:
                phrases.append(("".join(words),))
    return phrases


@cache
def field_table(sensitive: tuple[str, ...] = (), personal: tuple[str, ...] = ()) -> FieldTable:
    """Return the table for a configuration's extra field names, built once."""
    return FieldTable(sensitive, personal)
