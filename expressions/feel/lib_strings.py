"""FEEL string functions (DMN 1.5 §10.3.4.3), with XPath/XML Schema regular expressions.

``matches``, ``replace``, ``split`` and ``extract`` take XML Schema regular expressions with
the XPath 3.1 extensions (reluctant quantifiers, back-references, ``^``/``$`` anchors,
``(?:…)``) and the XPath flags ``s m i x q``. Python's ``re`` dialect differs, so patterns
are parsed and re-emitted as Python regular expressions by :func:`compile_xpath_regex`;
anything XML Schema does not allow (``\\b``, ``(?=``, ``{,3}``, ``\\0``…) is an error,
which the dispatcher turns into ``null``.

Strings are sequences of Unicode code points; positions are 1-based and negative
positions count from the end.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from expressions import regex_guard
from expressions.feel.functions import CallEnv, builtin

_MAX_PATTERN = 10_000
_MAX_NESTING = 50

# ------------------------------------------------------------------ helpers


def _code_points(text: str) -> str:
    """Combine any UTF-16 surrogate pairs left in ``text`` into single code points."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return _code_points(value)


def _integer(value: Any) -> int:
    """A FEEL number used as a position or length (rounded half up like XPath)."""
    if not isinstance(value, Decimal) or isinstance(value, bool):
        raise TypeError("expected a number")
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# ------------------------------------------------------- basic string functions


@builtin("substring", "string", "start position", "length?")
def substring(string: Any, start: Any, length: Any = None) -> str | None:
    text = _string(string)
    first = _integer(start)
    size = len(text)
    if first > 0:
        index = first - 1
    elif first < 0:
        index = size + first
    else:
        return None
    if index < 0 or index > size:
        return None
    if length is None:
        return text[index:]
    count = _integer(length)
    if count < 0:
        return None
    return text[index : index + count]


@builtin("string length", "string")
def string_length(string: Any) -> Decimal:
    return Decimal(len(_string(string)))


@builtin("upper case", "string")
def upper_case(string: Any, *, env: CallEnv) -> str:
    text = _string(string)
    env.budget.string(len(text) * 3)
    return text.upper()


@builtin("lower case", "string")
def lower_case(string: Any, *, env: CallEnv) -> str:
    text = _string(string)
    env.budget.string(len(text) * 3)
    return text.lower()


@builtin("substring before", "string", "match")
def substring_before(string: Any, match: Any) -> str:
    text, sought = _string(string), _string(match)
    index = text.find(sought)
    return "" if index < 0 else text[:index]


@builtin("substring after", "string", "match")
def substring_after(string: Any, match: Any) -> str:
    text, sought = _string(string), _string(match)
    if sought == "":
        return text
    index = text.find(sought)
    return "" if index < 0 else text[index + len(sought) :]


@builtin("contains", "string", "match")
def contains(string: Any, match: Any) -> bool:
    return _string(match) in _string(string)


@builtin("starts with", "string", "match")
def starts_with(string: Any, match: Any) -> bool:
    return _string(string).startswith(_string(match))


@builtin("ends with", "string", "match")
def ends_with(string: Any, match: Any) -> bool:
    return _string(string).endswith(_string(match))


@builtin("string join", "list", "delimiter?")
def string_join(items: Any, delimiter: Any = None, *, env: CallEnv) -> str:
    if items is None:
        raise TypeError("string join: list is null")
    if not isinstance(items, list):
        items = [items]
    separator = "" if delimiter is None else _string(delimiter)
    parts = [_string(item) for item in items if item is not None]
    env.budget.string(sum(len(p) for p in parts) + len(separator) * len(parts))
    return separator.join(parts)


# ------------------------------------------------------- regular expressions


class RegexError(ValueError):
    """The pattern, flags or replacement is not valid XPath regular-expression syntax."""


Ranges = list[tuple[int, int]]

_MAX_CP = 0x10FFFF


def _normalise(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _complement(ranges: Ranges) -> Ranges:
    result: Ranges = []
    nxt = 0
    for lo, hi in _normalise(ranges):
        if lo > nxt:
            result.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX_CP:
        result.append((nxt, _MAX_CP))
    return result


@functools.cache
def _category_table() -> dict[str, tuple[tuple[int, int], ...]]:
    """Code-point ranges of every two-letter Unicode general category (built once)."""
    runs: dict[str, Ranges] = {}

    def add(cat: str, lo: int, hi: int) -> None:
        bucket = runs.setdefault(cat, [])
        if bucket and bucket[-1][1] + 1 == lo:
            bucket[-1] = (bucket[-1][0], hi)
        else:
            bucket.append((lo, hi))

    def scan(lo: int, hi: int) -> None:
        start, current = lo, unicodedata.category(chr(lo))
        for cp in range(lo + 1, hi + 1):
            cat = unicodedata.category(chr(cp))
            if cat != current:
                add(current, start, cp - 1)
                start, current = cp, cat
        add(current, start, hi)

    # Planes 4-13 hold no assigned code points (Unicode 15.1); skip them for speed.
    scan(0, 0x3FFFF)
    add("Cn", 0x40000, 0xDFFFF)
    scan(0xE0000, _MAX_CP)
    return {cat: tuple(r) for cat, r in runs.items()}


def _category(name: str) -> Ranges:
    table = _category_table()
    if len(name) == 2:
        if name not in table and name not in _KNOWN_CATEGORIES:
            raise RegexError(f"unknown category {name!r}")
        return list(table.get(name, ()))
    if len(name) == 1 and name in "LMNPZSC":
        result: Ranges = []
        for cat, ranges in table.items():
            if cat[0] == name:
                result.extend(ranges)
        return _normalise(result)
    raise RegexError(f"unknown category {name!r}")


_KNOWN_CATEGORIES = frozenset(
    {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe"}
    | {"Pi", "Pf", "Po", "Zs", "Zl", "Zp", "Sm", "Sc", "Sk", "So", "Cc", "Cf", "Co", "Cn", "Cs"}
)

# Unicode blocks usable as \p{IsName} (names without spaces, as XML Schema spells them).
_BLOCKS: dict[str, tuple[int, int]] = {
    "BasicLatin": (0x0000, 0x007F),
    "Latin-1Supplement": (0x0080, 0x00FF),
    "LatinExtended-A": (0x0100, 0x017F),
    "LatinExtended-B": (0x0180, 0x024F),
    "IPAExtensions": (0x0250, 0x02AF),
    "SpacingModifierLetters": (0x02B0, 0x02FF),
    "CombiningDiacriticalMarks": (0x0300, 0x036F),
    "Greek": (0x0370, 0x03FF),
    "GreekandCoptic": (0x0370, 0x03FF),
    "Cyrillic": (0x0400, 0x04FF),
    "CyrillicSupplement": (0x0500, 0x052F),
    "Armenian": (0x0530, 0x058F),
    "Hebrew": (0x0590, 0x05FF),
    "Arabic": (0x0600, 0x06FF),
    "Syriac": (0x0700, 0x074F),
    "Thaana": (0x0780, 0x07BF),
    "Devanagari": (0x0900, 0x097F),
    "Bengali": (0x0980, 0x09FF),
    "Gurmukhi": (0x0A00, 0x0A7F),
    "Gujarati": (0x0A80, 0x0AFF),
    "Oriya": (0x0B00, 0x0B7F),
    "Tamil": (0x0B80, 0x0BFF),
    "Telugu": (0x0C00, 0x0C7F),
    "Kannada": (0x0C80, 0x0CFF),
    "Malayalam": (0x0D00, 0x0D7F),
    "Sinhala": (0x0D80, 0x0DFF),
    "Thai": (0x0E00, 0x0E7F),
    "Lao": (0x0E80, 0x0EFF),
    "Tibetan": (0x0F00, 0x0FFF),
    "Myanmar": (0x1000, 0x109F),
    "Georgian": (0x10A0, 0x10FF),
    "HangulJamo": (0x1100, 0x11FF),
    "Ethiopic": (0x1200, 0x137F),
    "Cherokee": (0x13A0, 0x13FF),
    "UnifiedCanadianAboriginalSyllabics": (0x1400, 0x167F),
    "Ogham": (0x1680, 0x169F),
    "Runic": (0x16A0, 0x16FF),
    "Khmer": (0x1780, 0x17FF),
    "Mongolian": (0x1800, 0x18AF),
    "LatinExtendedAdditional": (0x1E00, 0x1EFF),
    "GreekExtended": (0x1F00, 0x1FFF),
    "GeneralPunctuation": (0x2000, 0x206F),
    "SuperscriptsandSubscripts": (0x2070, 0x209F),
    "CurrencySymbols": (0x20A0, 0x20CF),
    "CombiningMarksforSymbols": (0x20D0, 0x20FF),
    "CombiningDiacriticalMarksforSymbols": (0x20D0, 0x20FF),
    "LetterlikeSymbols": (0x2100, 0x214F),
    "NumberForms": (0x2150, 0x218F),
    "Arrows": (0x2190, 0x21FF),
    "MathematicalOperators": (0x2200, 0x22FF),
    "MiscellaneousTechnical": (0x2300, 0x23FF),
    "ControlPictures": (0x2400, 0x243F),
    "OpticalCharacterRecognition": (0x2440, 0x245F),
    "EnclosedAlphanumerics": (0x2460, 0x24FF),
    "BoxDrawing": (0x2500, 0x257F),
    "BlockElements": (0x2580, 0x259F),
    "GeometricShapes": (0x25A0, 0x25FF),
    "MiscellaneousSymbols": (0x2600, 0x26FF),
    "Dingbats": (0x2700, 0x27BF),
    "BraillePatterns": (0x2800, 0x28FF),
    "CJKRadicalsSupplement": (0x2E80, 0x2EFF),
    "KangxiRadicals": (0x2F00, 0x2FDF),
    "IdeographicDescriptionCharacters": (0x2FF0, 0x2FFF),
    "CJKSymbolsandPunctuation": (0x3000, 0x303F),
    "Hiragana": (0x3040, 0x309F),
    "Katakana": (0x30A0, 0x30FF),
    "Bopomofo": (0x3100, 0x312F),
    "HangulCompatibilityJamo": (0x3130, 0x318F),
    "Kanbun": (0x3190, 0x319F),
    "BopomofoExtended": (0x31A0, 0x31BF),
    "EnclosedCJKLettersandMonths": (0x3200, 0x32FF),
    "CJKCompatibility": (0x3300, 0x33FF),
    "CJKUnifiedIdeographsExtensionA": (0x3400, 0x4DBF),
    "CJKUnifiedIdeographs": (0x4E00, 0x9FFF),
    "YiSyllables": (0xA000, 0xA48F),
    "YiRadicals": (0xA490, 0xA4CF),
    "HangulSyllables": (0xAC00, 0xD7AF),
    "HighSurrogates": (0xD800, 0xDB7F),
    "HighPrivateUseSurrogates": (0xDB80, 0xDBFF),
    "LowSurrogates": (0xDC00, 0xDFFF),
    "PrivateUse": (0xE000, 0xF8FF),
    "PrivateUseArea": (0xE000, 0xF8FF),
    "CJKCompatibilityIdeographs": (0xF900, 0xFAFF),
    "AlphabeticPresentationForms": (0xFB00, 0xFB4F),
    "ArabicPresentationForms-A": (0xFB50, 0xFDFF),
    "CombiningHalfMarks": (0xFE20, 0xFE2F),
    "CJKCompatibilityForms": (0xFE30, 0xFE4F),
    "SmallFormVariants": (0xFE50, 0xFE6F),
    "ArabicPresentationForms-B": (0xFE70, 0xFEFF),
    "HalfwidthandFullwidthForms": (0xFF00, 0xFFEF),
    "Specials": (0xFFF0, 0xFFFF),
}
_BLOCK_KEYS = {name.lower(): span for name, span in _BLOCKS.items()}


def _property(name: str) -> Ranges:
    if name.startswith("Is"):
        span = _BLOCK_KEYS.get(name[2:].lower())
        if span is None:
            raise RegexError(f"unknown block {name!r}")
        return [span]
    return _category(name)


_SPACE: Ranges = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x20)]
_NAME_START: Ranges = [
    (0x3A, 0x3A),
    (0x41, 0x5A),
    (0x5F, 0x5F),
    (0x61, 0x7A),
    (0xC0, 0xD6),
    (0xD8, 0xF6),
    (0xF8, 0x2FF),
    (0x370, 0x37D),
    (0x37F, 0x1FFF),
    (0x200C, 0x200D),
    (0x2070, 0x218F),
    (0x2C00, 0x2FEF),
    (0x3001, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFFD),
    (0x10000, 0xEFFFF),
]
_NAME_CHAR: Ranges = _normalise(
    [*_NAME_START, (0x2D, 0x2E), (0x30, 0x39), (0xB7, 0xB7), (0x300, 0x36F), (0x203F, 0x2040)]
)


def _word() -> Ranges:
    """XML Schema ``\\w``: everything except punctuation, separators and 'other'."""
    return _complement(_category("P") + _category("Z") + _category("C"))


_SINGLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
_META_ESCAPES = frozenset("\\|.?*+(){}-[]^$")


def _cp_escape(cp: int) -> str:
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


class _ClassItem:
    """A set of characters inside ``[...]``: explicit ranges plus native Python escapes."""

    __slots__ = ("native", "ranges")

    def __init__(self, ranges: Ranges | None = None, native: str = "") -> None:
        self.ranges: Ranges = ranges or []
        self.native = native

    def body(self) -> str:
        parts = [self.native]
        for lo, hi in _normalise(self.ranges):
            parts.append(_cp_escape(lo) if lo == hi else f"{_cp_escape(lo)}-{_cp_escape(hi)}")
        return "".join(parts)


class _Translator:
    """Recursive-descent parser of XML Schema regexes emitting Python ``re`` syntax."""

    def __init__(self, pattern: str, *, dotall: bool) -> None:
        self.src = pattern
        self.pos = 0
        self.dotall = dotall
        self.groups = 0
        self.closed: set[int] = set()
        self.multiline = False
        self.depth = 0

    def nest(self) -> None:
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise self.fail("regular expression nested too deeply")

    # -- scanning
    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.src[index] if index < len(self.src) else ""

    def take(self) -> str:
        if self.pos >= len(self.src):
            raise RegexError("unexpected end of pattern")
        ch = self.src[self.pos]
        self.pos += 1
        return ch

    def fail(self, message: str) -> RegexError:
        return RegexError(f"{message} at offset {self.pos} of regex {self.src!r}")

    # -- grammar
    def translate(self) -> str:
        out = self.regexp()
        if self.pos != len(self.src):
            raise self.fail("unbalanced ')'")
        return out

    def regexp(self) -> str:
        branches = [self.branch()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.branch())
        return "|".join(branches)

    def branch(self) -> str:
        pieces: list[str] = []
        while self.peek() not in ("", "|", ")"):
            pieces.append(self.piece())
        return "".join(pieces)

    def piece(self) -> str:
        atom = self.atom()
        quantifier = self.quantifier()
        if quantifier and atom in ("^", "$", r"\Z"):
            raise self.fail("quantified anchor")
        return atom + quantifier

    def quantifier(self) -> str:
        ch = self.peek()
        if ch in ("?", "*", "+"):
            self.pos += 1
            text = ch
        elif ch == "{":
            self.pos += 1
            low = self.digits()
            if low is None:
                raise self.fail("bad quantifier")
            text = "{" + str(low)
            if self.peek() == ",":
                self.pos += 1
                high = self.digits()
                text += ","
                if high is not None:
                    if high < low:
                        raise self.fail("quantifier range out of order")
                    text += str(high)
            if self.take() != "}":
                raise self.fail("bad quantifier")
            text += "}"
        else:
            return ""
        if self.peek() == "?":
            self.pos += 1
            text += "?"
        return text

    def digits(self) -> int | None:
        start = self.pos
        while self.peek().isdigit() and self.peek() in "0123456789":
            self.pos += 1
        if start == self.pos or self.pos - start > 6:
            return None
        return int(self.src[start : self.pos])

    def atom(self) -> str:
        ch = self.take()
        if ch == "(":
            capturing = True
            if self.peek() == "?":
                if self.peek(1) != ":":
                    raise self.fail("unsupported group syntax")
                self.pos += 2
                capturing = False
            number = 0
            if capturing:
                self.groups += 1
                number = self.groups
            self.nest()
            inner = self.regexp()
            self.depth -= 1
            if self.take() != ")":
                raise self.fail("missing ')'")
            if capturing:
                self.closed.add(number)
                return f"({inner})"
            return f"(?:{inner})"
        if ch == "[":
            return self.class_expr()
        if ch == ".":
            return "(?s:.)" if self.dotall else r"[^\n\r]"
        if ch == "^":
            return "^"
        if ch == "$":
            return "$" if self.multiline else r"\Z"
        if ch == "\\":
            return self.escape_atom()
        if ch in "?*+{}]|)":
            raise self.fail(f"unexpected {ch!r}")
        return re.escape(ch)

    def escape_atom(self) -> str:
        ch = self.take()
        if ch.isdigit() and ch in "0123456789":
            if ch == "0":
                raise self.fail("invalid back-reference")
            number = int(ch)
            while self.peek() in tuple("0123456789") and self.peek() != "":
                candidate = number * 10 + int(self.peek())
                if candidate > self.groups:
                    break
                number = candidate
                self.pos += 1
            if number not in self.closed:
                raise self.fail(f"back-reference to undefined group {number}")
            return f"(?:\\{number})"
        item = self.escape_item(ch)
        if item.native and not item.ranges and item.native in (r"\d", r"\D"):
            return item.native
        return f"[{item.body()}]"

    def escape_item(self, ch: str) -> _ClassItem:
        """The character set of the escape ``\\ch`` (after the backslash)."""
        if ch in _SINGLE_ESCAPES:
            cp = ord(_SINGLE_ESCAPES[ch])
            return _ClassItem([(cp, cp)])
        if ch in _META_ESCAPES:
            return _ClassItem([(ord(ch), ord(ch))])
        if ch == "d":
            return _ClassItem(native=r"\d")
        if ch == "D":
            return _ClassItem(native=r"\D")
        if ch == "s":
            return _ClassItem(list(_SPACE))
        if ch == "S":
            return _ClassItem(_complement(_SPACE))
        if ch == "w":
            return _ClassItem(_word())
        if ch == "W":
            return _ClassItem(_complement(_word()))
        if ch == "i":
            return _ClassItem(list(_NAME_START))
        if ch == "I":
            return _ClassItem(_complement(_NAME_START))
        if ch == "c":
            return _ClassItem(list(_NAME_CHAR))
        if ch == "C":
            return _ClassItem(_complement(_NAME_CHAR))
        if ch in ("p", "P"):
            if self.take() != "{":
                raise self.fail("expected '{' after \\p")
            end = self.src.find("}", self.pos)
            if end < 0:
                raise self.fail("unterminated \\p{")
            name = self.src[self.pos : end]
            self.pos = end + 1
            ranges = _property(name)
            return _ClassItem(ranges if ch == "p" else _complement(ranges))
        raise self.fail(f"invalid escape \\{ch}")

    def class_expr(self) -> str:
        """After ``[``: a (possibly negated, possibly subtracted) character class."""
        negated = False
        if self.peek() == "^":
            negated = True
            self.pos += 1
        item = _ClassItem()
        first = True
        subtraction: str | None = None
        while True:
            ch = self.peek()
            if ch == "":
                raise self.fail("unterminated character class")
            if ch == "]":
                if first:
                    raise self.fail("empty character class")
                self.pos += 1
                break
            if ch == "-" and self.peek(1) == "[" and not first:
                self.pos += 2
                self.nest()
                subtraction = self.class_expr()
                self.depth -= 1
                if self.take() != "]":
                    raise self.fail("expected ']' after class subtraction")
                break
            if ch == "[":
                raise self.fail("'[' in character class")
            low = self.class_char(first)
            first = False
            if isinstance(low, _ClassItem):
                item.native += low.native
                item.ranges.extend(low.ranges)
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", "["):
                self.pos += 1
                high = self.class_char(False)
                if isinstance(high, _ClassItem) or high < low:
                    raise self.fail("bad character range")
                item.ranges.append((low, high))
            else:
                item.ranges.append((low, low))
        body = item.body()
        if not body:
            base = r"[^\x00-\U0010ffff]" if not negated else r"[\x00-\U0010ffff]"
        else:
            base = f"[^{body}]" if negated else f"[{body}]"
        if subtraction is None:
            return base
        return f"(?:(?!{subtraction}){base})"

    def class_char(self, first: bool) -> int | _ClassItem:
        ch = self.take()
        if ch == "\\":
            esc = self.take()
            if esc.isdigit():
                raise self.fail("back-reference in character class")
            item = self.escape_item(esc)
            if esc in _SINGLE_ESCAPES or esc in _META_ESCAPES:
                return item.ranges[0][0]
            return item
        if ch == "-" and not first and self.peek() not in ("]",):
            raise self.fail("unescaped '-' in character class")
        return ord(ch)


_FLAG_CHARS = frozenset("smixq")


def _flags(flags: Any) -> str:
    if flags is None:
        return ""
    if not isinstance(flags, str):
        raise TypeError("flags must be a string")
    if not set(flags) <= _FLAG_CHARS:
        raise RegexError(f"invalid regex flags {flags!r}")
    return flags


def _strip_whitespace(pattern: str) -> str:
    """The ``x`` flag: drop whitespace outside character classes."""
    out: list[str] = []
    depth = 0
    escaped = False
    for ch in pattern:
        if ch in " \t\n\r" and depth == 0:
            continue
        out.append(ch)
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[":
            depth += 1
        elif ch == "]" and depth > 0:
            depth -= 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_xpath_regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    """Compile an XPath regular expression with XPath ``flags`` into a Python pattern."""
    if len(pattern) > _MAX_PATTERN:
        raise RegexError("regular expression too long")
    if not set(flags) <= _FLAG_CHARS:
        raise RegexError(f"invalid regex flags {flags!r}")
    py_flags = 0
    if "i" in flags:
        py_flags |= re.IGNORECASE
    if "q" in flags:
        return re.compile(re.escape(pattern), py_flags)
    if "x" in flags:
        pattern = _strip_whitespace(pattern)
    if "m" in flags:
        py_flags |= re.MULTILINE
    translator = _Translator(pattern, dotall="s" in flags)
    translator.multiline = "m" in flags
    try:
        return re.compile(translator.translate(), py_flags)
    except re.error as exc:
        raise RegexError(str(exc)) from exc


def _regex(pattern: Any, flags: Any, subject: str = "") -> re.Pattern[str]:
    """The compiled pattern, once ``regex_guard`` agrees it cannot backtrack for long on
    ``subject`` (risky shapes make the call null; too much work raises LimitExceeded)."""
    text = _string(pattern)
    regex_guard.check(text, len(subject), search=True)
    return compile_xpath_regex(text, _flags(flags))


def _parse_replacement(replacement: str, groups: int) -> list[str | int]:
    """XPath replacement string: ``$N`` group references, ``\\$`` and ``\\\\`` escapes."""
    parts: list[str | int] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\":
            nxt = replacement[i + 1 : i + 2]
            if nxt not in ("\\", "$"):
                raise RegexError("invalid '\\' in replacement string")
            literal.append(nxt)
            i += 2
        elif ch == "$":
            j = i + 1
            while j < len(replacement) and replacement[j] in "0123456789":
                j += 1
            if j == i + 1:
                raise RegexError("'$' not followed by a digit in replacement string")
            digits = replacement[i + 1 : j]
            # The longest prefix naming an existing group (or a single digit) is the
            # reference; any further digits are literal text.
            while len(digits) > 1 and int(digits) > groups:
                digits = digits[:-1]
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(int(digits))
            literal.append(replacement[i + 1 + len(digits) : j])
            i = j
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return [p for p in parts if p != ""]


@builtin("matches", "input", "pattern", "flags?")
def matches(text: Any, pattern: Any, flags: Any = None, *, env: CallEnv) -> bool:
    text = _string(text)
    env.budget.step(len(text) // 16 + 1)
    return _regex(pattern, flags, text).search(text) is not None


@builtin("replace", "input", "pattern", "replacement", "flags?")
def replace(
    source: Any,
    pattern: Any,
    replacement: Any,
    flags: Any = None,
    *,
    env: CallEnv,
) -> str:
    text = _string(source)
    regex = _regex(pattern, flags, text)
    template = _string(replacement)
    if regex.match("") is not None:
        raise RegexError("the pattern matches a zero-length string")
    flag_text = _flags(flags)
    parts: list[str | int] = [template] if "q" in flag_text else []
    if "q" not in flag_text:
        parts = _parse_replacement(template, regex.groups)
    out: list[str] = []
    size = 0
    last = 0
    for match in regex.finditer(text):
        out.append(text[last : match.start()])
        for part in parts:
            if isinstance(part, int):
                piece = (match.group(part) or "") if part <= regex.groups else ""
            else:
                piece = part
            out.append(piece)
            size += len(piece)
        size += match.start() - last
        env.budget.string(size)
        last = match.end()
    out.append(text[last:])
    return "".join(out)


@builtin("split", "string", "delimiter")
def split(string: Any, delimiter: Any, *, env: CallEnv) -> list[str]:
    text = _string(string)
    regex = _regex(delimiter, None, text)
    if regex.match("") is not None:
        raise RegexError("the delimiter matches a zero-length string")
    parts: list[str] = []
    last = 0
    for match in regex.finditer(text):
        parts.append(text[last : match.start()])
        last = match.end()
        env.budget.collection(len(parts))
    parts.append(text[last:])
    return parts


@builtin("extract", "input", "pattern")
def extract(source: Any, pattern: Any, *, env: CallEnv) -> list[str]:
    text = _string(source)
    regex = _regex(pattern, None, text)
    found: list[str] = []
    for match in regex.finditer(text):
        found.append(match.group(0))
        env.budget.collection(len(found))
    return found
