"""Limits on what a request may carry: parameter counts, distinct values, lengths and digits.

Checked before any view runs, so no page is built from a request that exceeds them; each limit
is a setting (config.LIMITS) with a message in Chinese naming the parameter.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from casebook.config import Settings
from casebook.errors import QueryError

# Parameters holding a number: their digits are counted before anything converts them.
NUMERIC = ("page", "per_page", "year_from", "year_to", "amount_min", "amount_max", "pos", "sid")


def whole_number(raw: str) -> int | None:
    """Return raw as a whole number when it is one written in ASCII digits, else None."""
    # str.isdigit accepts ² and other digits int() refuses; only ASCII digits are numbers here.
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def check_limits(args: MultiDict, limits: Settings, nested: str | None = "from") -> None:
    """Raise QueryError when parameters exceed the configured counts, values, lengths or digits.

    Each repeated value becomes a filter chip whose link repeats every value, so the page grows
    with the square of the repetitions: the limits keep every page small.
    """
    items = list(args.items(multi=True))
    if len(items) > limits.max_params:
        raise QueryError(f"参数过多：一次最多 {limits.max_params} 个参数，收到 {len(items)} 个")
    for name in args:
        values = set(args.getlist(name))
        if len(values) > limits.max_values:
            raise QueryError(f"{name}：最多可选 {limits.max_values} 个不同的值，收到 {len(values)} 个", name)
        if name in NUMERIC:
            for value in values:
                if len(value.strip()) > limits.max_digits:
                    raise QueryError(f"{name}：数字最多 {limits.max_digits} 位，收到 {len(value.strip())} 位", name)
        if name != nested:
            # Every link on a result page repeats the query: 40,000 characters made a 14 MB page.
            longest = max(values, key=len)
            if len(longest) > limits.max_value_chars:
                raise QueryError(f"{name}：最多 {limits.max_value_chars} 个字符，收到 {len(longest)} 个", name)
    if nested and args.get(nested):
        # A case opened from a result list carries that list's parameters in `from`.
        check_limits(MultiDict(parse_qsl(args[nested], keep_blank_values=False)), limits, nested=None)
