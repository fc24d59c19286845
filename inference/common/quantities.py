"""Kubernetes resource quantities, in every form the API accepts (`1G`, `2.5Gi`, `500m`, `1e3`, `.5`), read as exact
numbers: the configuration's CPU and memory values and the offline capacity check (tools/pods.py) share them.

The grammar is apimachinery's `resource.Quantity` (kubernetes/apimachinery pkg/api/resource/quantity.go):

    <quantity>        ::= <signedNumber><suffix>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

A quantity may also arrive as a YAML number (the OpenAPI type is string or number).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

QUANTITY_SOURCE = "kubernetes/apimachinery pkg/api/resource/quantity.go"
_GRAMMAR = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]?)"
)
_SUFFIXES: dict[str, Fraction | int] = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_EXPONENT_DIGITS = 4  # a longer exponent is no resource any machine has, and 10**huge would hang the parse


def parse(value: Any) -> Fraction | None:
    """The quantity's exact value, or None when it is not one (a YAML number counts)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):  # as written (0.1 is a tenth, not the nearest binary fraction)
        return Fraction(repr(value)) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    match = _GRAMMAR.fullmatch(value)
    if not match:
        return None
    number, suffix = Fraction(match["number"]), match["suffix"]
    if suffix not in _SUFFIXES:  # a decimal exponent (`Ei` is the binary exa suffix, not one)
        exponent = suffix[1:].lstrip("+-")
        if len(exponent.lstrip("0")) > _EXPONENT_DIGITS:
            return None
        return number * Fraction(10) ** int(suffix[1:])
    return number * _SUFFIXES[suffix]


def quantity(value: Any) -> Fraction:
    """As `parse`, for values the program or a chart wrote: one that is no quantity is a bug, raised."""
    parsed = parse(value)
    if parsed is None:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    return parsed


def cpu_cores(value: Any) -> Fraction:
    return quantity(value)


def cpu_millicores(value: Any) -> int:
    """Kubernetes counts CPU in whole millicores, rounding a finer request up."""
    return math.ceil(quantity(value) * 1000)


def memory_bytes(value: Any) -> int:
    """Bytes, a fraction of a byte rounded up as the API server does."""
    return math.ceil(quantity(value))


def shown_bytes(amount: int | Fraction) -> str:
    """A byte count as a person reads it: 1.5 GiB, 512 MiB, 8 bytes."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if amount >= size:
            return f"{_decimal(Fraction(amount) / size):.4g} {unit}"
    return f"{_decimal(Fraction(amount)):.4g} bytes"


def shown_cores(amount: Fraction) -> str:
    return f"{_decimal(amount):,.10g} cores"


def _decimal(amount: Fraction) -> Decimal:
    """Exact enough to print, however large: a float overflows past 1e308, and `1e400` is a quantity."""
    with localcontext() as context:
        context.prec = 12
        return Decimal(amount.numerator) / Decimal(amount.denominator)
