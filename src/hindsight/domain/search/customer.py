"""A customer as search finds them: the keys stored for a conversation, and the keys what a
person types in the customer field may mean. Both sides are reduced the same way, so an
exact lookup of a key finds every way of writing the same phone number, e-mail or name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.search import phone

MAX_LENGTH = 200
_KEY_LENGTH = 290  # the column holds 300 with the `kind:` prefix
_SPACE = re.compile(r"\s+")
# The Flex `customers` keys that identify a person (the others describe them).
_PHONE_KEYS = ("phone",)
_EMAIL_KEYS = ("email",)
_ID_KEYS = ("external_id", "customer_link")


def _name(text: str) -> str:
    return _SPACE.sub(" ", text.strip()).lower()[:_KEY_LENGTH]


def _address_keys(text: str) -> set[str]:
    """An address or identity of unknown kind: a phone number, an e-mail, or an id."""
    number = phone.normalise(text)
    if number is not None:
        return {f"phone:{number}"}
    if "@" in text and " " not in text.strip():
        return {f"email:{_name(text)}"}
    return {f"id:{_name(text)}"} if text.strip() else set()


def stored_keys(customer: Mapping[str, str], addresses: Iterable[str]) -> set[str]:
    """The keys a conversation is found by: its `customers` object and its addresses."""
    keys: set[str] = set()
    name = customer.get("name")
    if name and name.strip():
        keys.add(f"name:{_name(name)}")
        # A surname or a first name alone finds the customer too.
        keys.update(f"name:{part}" for part in _name(name).split(" "))
    for key in _PHONE_KEYS:
        if customer.get(key):
            keys |= _address_keys(customer[key])
    for key in _EMAIL_KEYS:
        if customer.get(key):
            keys.add(f"email:{_name(customer[key])}")
    for key in _ID_KEYS:
        if customer.get(key):
            keys.add(f"id:{_name(customer[key])}")
    for address in addresses:
        keys |= _address_keys(address)
    return keys


def wanted_keys(text: str) -> list[str]:
    """The keys the customer field's `text` may mean (any of them matches)."""
    if len(text) > MAX_LENGTH:
        raise InvalidParameter(f"customer is at most {MAX_LENGTH} characters")
    if "\x00" in text:
        raise InvalidParameter("customer must not contain NUL characters")
    if not text.strip():
        raise InvalidParameter("customer must not be blank")
    number = phone.normalise(text)
    if number is not None:
        return [f"phone:{number}"]
    name = _name(text)
    return sorted({f"name:{name}", f"email:{name}", f"id:{name}"})


def label(customer: Mapping[str, str], addresses: Iterable[str]) -> str | None:
    """How the list and the conversation header name the customer."""
    for key in ("name", "phone", "email", "external_id"):
        value = customer.get(key)
        if value and value.strip():
            return value.strip()[:_KEY_LENGTH]
    return next((a for a in addresses if a), None)
