"""Small pieces of wording shared by messages in any language."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def listing(items: Iterable[object]) -> str:
    """Items joined for a sentence in the active language: 甲、乙、丙 in Chinese, "a, b, c" in
    English (a message's list read "Available: api、json" in English)."""
    return pgettext("between quoted words", "、").join(str(item) for item in items)
