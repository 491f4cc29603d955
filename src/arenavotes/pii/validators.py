"""Validators for the values pattern recognizers find: checksums and shape rules that turn a regex match into
a finding (Luhn for cards, ISO 7064 mod 97 for IBANs, the ipaddress module for IPs, SSN area/group/serial
rules, phone number shapes, Bitcoin address checks).

>>> luhn("4111 1111 1111 1111"), card("4111 1111 1111 1112"), ip_address("10.0.0.256")
(True, False, False)
"""

from __future__ import annotations

import hashlib
import ipaddress
import re


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def luhn(s: str) -> bool:
    d = [int(c) for c in _digits(s)]
    if not 12 <= len(d) <= 19:
        return False
    total = sum(d[-1::-2]) + sum(sum(divmod(2 * x, 10)) for x in d[-2::-2])
    return total % 10 == 0


def card(s: str) -> bool:
    d = _digits(s)
    known = (
        d[0] == "4"
        or 51 <= int(d[:2]) <= 55
        or 2221 <= int(d[:4]) <= 2720
        or d[:2] in ("34", "37")
        or d[:4] == "6011"
        or d[:2] == "65"
        or 644 <= int(d[:3]) <= 649
        or 3528 <= int(d[:4]) <= 3589
        or d[:2] in ("36", "38", "62")
        or 300 <= int(d[:3]) <= 305
    )
    return known and luhn(d)


_IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SC": 31,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
}


def iban(s: str) -> bool:
    compact = re.sub(r"[\s-]", "", s).upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def ip_address(s: str) -> bool:
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        return False
    return not (addr.version == 4 and s.count(".") == 3 and s.startswith("0."))


def ssn(s: str) -> bool:
    d = _digits(s)
    area, group, serial = d[:3], d[3:5], d[5:]
    return (
        len(d) == 9
        and area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
        and len(set(d)) > 1
    )


def phone(s: str) -> bool:
    d = _digits(_EXTENSION.sub("", s))
    return 7 <= len(d) <= 15 and len(set(d)) > 2


_EXTENSION = re.compile(r"(?i)(?<!\s)\s*(?:x|ext\.?|extension)\s*\d{1,6}$")


def _nanp(core: str) -> bool:
    return re.fullmatch(r"\d{3}[ .-]\d{3}[ .-]\d{4}", core) is not None


def phone_number(s: str) -> bool:
    """Phone-like digits (:func:`phone`) that are not a date, a time or a decimal (a NANP 3-3-4 number always is
    a phone number)."""
    core = _EXTENSION.sub("", s)
    return phone(s) and (_nanp(core) or not (_looks_numeric_data(core) or _looks_numeric_data(s)))


def phone_shaped(s: str) -> bool:
    """A phone number without a phone word before it: ``+``, ``(``, ``00x`` or an extension, NANP 3-3-4, or ten
    or more digits in groups; nine digits at least."""
    core = _EXTENSION.sub("", s)
    digits = _digits(core)
    shaped = (
        s.startswith(("+", "("))
        or re.match(r"00[1-9]", s) is not None
        or bool(_EXTENSION.search(s))
        or _nanp(core)
        or (len(digits) >= 10 and re.search(r"[ .-]", core) is not None)
    )
    return shaped and len(digits) >= 9


def _looks_numeric_data(s: str) -> bool:
    """Dates, times and decimals that happen to have enough digits: not phone numbers."""
    return bool(
        re.fullmatch(
            r"\d{4}[-./]\d{1,2}[-./]\d{1,2}(?:[ T]\d{1,2}(?:[:.]\d{2}.*)?)?|\d+\.\d+|"
            r"\d{1,3}(?:,\d{3})+|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d+(?:\.\d+){2,}",
            s,
        )
    )


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def bech32(s: str) -> bool:
    """A ``bc1`` address whose bech32 (BIP-173) or bech32m (BIP-350) checksum holds. Without the checksum a
    random hex string that happens to start with ``bc1`` passed: one release pseudonym in about 200,000 did,
    and the release gate refused a 1M-conversation release for it. A random string passes 1 time in 2^30.

    >>> bech32("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"), bech32("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")
    (True, False)
    """
    if s != s.lower() and s != s.upper():
        return False
    hrp, _, data = s.lower().rpartition("1")
    if hrp != "bc" or not 6 <= len(data) <= 71 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in data]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, g in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= g
    return chk in (1, 0x2BC830A3)


def btc(s: str) -> bool:
    if s.lower().startswith("bc1"):
        return bech32(s)
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = 0
    for ch in s:
        n = n * 58 + alphabet.index(ch)
    raw = n.to_bytes(25, "big") if n.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False

    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]
