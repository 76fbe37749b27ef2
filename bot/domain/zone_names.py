"""Time-zone names people type: IANA names, abbreviations, UTC offsets and city names, read as IANA zones."""

from __future__ import annotations

import difflib
import unicodedata
from functools import cache
from zoneinfo import available_timezones

__all__ = [
    "AMBIGUOUS_ABBREVIATIONS",
    "IANA_AREAS",
    "MAX_OFFSET_MINUTES",
    "abbreviation_zone",
    "also_a_word",
    "asked_when_bare",
    "looks_like_an_area",
    "iana_zone",
    "place_zone",
]

MAX_OFFSET_MINUTES = 14 * 60  # the furthest any zone is from UTC (Kiritimati, UTC+14)

# The first part of IANA names people write ("Europe/Berlin"); a token that starts so but is not a zone
# is a typo worth asking about, while "go/no-go" is just words.
IANA_AREAS = frozenset(
    {
        "africa", "america", "antarctica", "arctic", "asia", "atlantic", "australia", "europe", "indian",
        "pacific", "etc", "us", "canada", "brazil", "mexico", "chile",
    }
)  # fmt: skip

# Abbreviations, read with daylight saving as the region observes it ("EST" in July means New York's
# clock, as people who write it mean). Those used by more than one region are in AMBIGUOUS_ABBREVIATIONS.
_ABBREVIATIONS = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC",
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "hst": "Pacific/Honolulu",
    "ast": "America/Halifax", "adt": "America/Halifax", "nst": "America/St_Johns", "ndt": "America/St_Johns",
    "brt": "America/Sao_Paulo", "art": "America/Argentina/Buenos_Aires",
    "wet": "Europe/Lisbon", "west": "Europe/Lisbon", "bst": "Europe/London",
    "cet": "Europe/Paris", "cest": "Europe/Paris", "met": "Europe/Paris", "mez": "Europe/Berlin",
    "mesz": "Europe/Berlin", "eet": "Europe/Athens", "eest": "Europe/Athens", "msk": "Europe/Moscow",
    "sast": "Africa/Johannesburg", "wat": "Africa/Lagos", "cat": "Africa/Maputo", "eat": "Africa/Nairobi",
    "gst": "Asia/Dubai", "pkt": "Asia/Karachi", "ist": "Asia/Kolkata", "npt": "Asia/Kathmandu",
    "ict": "Asia/Bangkok", "wib": "Asia/Jakarta", "sgt": "Asia/Singapore", "hkt": "Asia/Hong_Kong",
    "pht": "Asia/Manila", "jst": "Asia/Tokyo", "kst": "Asia/Seoul", "awst": "Australia/Perth",
    "acst": "Australia/Adelaide", "acdt": "Australia/Adelaide", "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney", "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland",
}  # fmt: skip
# Abbreviations that are also English words ("3pm art class"): read only when written in capitals.
_CAPITALS_ONLY = frozenset({"z", "art", "cat", "eat", "met", "wat", "west", "mez"})
AMBIGUOUS_ABBREVIATIONS = {
    "ist": "IST could be India, Ireland or Israel; I read India",
    "ast": "AST could be Atlantic or Arabia Standard Time; I read Atlantic (Halifax)",
    "gst": "GST could be Gulf or South Georgia Time; I read Gulf (Dubai)",
}

# Places that are not the last part of an IANA name, or that people call otherwise.
_PLACES = {
    "eastern": "America/New_York", "central": "America/Chicago", "mountain": "America/Denver",
    "pacific": "America/Los_Angeles", "hawaii": "Pacific/Honolulu", "alaska": "America/Anchorage",
    "arizona": "America/Phoenix", "atlantic": "America/Halifax", "newfoundland": "America/St_Johns",
    "us eastern": "America/New_York", "us central": "America/Chicago", "us mountain": "America/Denver",
    "us pacific": "America/Los_Angeles", "central european": "Europe/Paris",
    "eastern european": "Europe/Athens", "western european": "Europe/Lisbon", "british": "Europe/London",
    "greenwich": "UTC", "universal": "UTC", "coordinated universal": "UTC",
    "nyc": "America/New_York", "washington": "America/New_York", "washington dc": "America/New_York",
    "boston": "America/New_York", "atlanta": "America/New_York", "miami": "America/New_York",
    "philadelphia": "America/New_York", "pittsburgh": "America/New_York", "ottawa": "America/Toronto",
    "montreal": "America/Toronto", "dallas": "America/Chicago", "houston": "America/Chicago",
    "austin": "America/Chicago", "minneapolis": "America/Chicago", "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles", "portland": "America/Los_Angeles", "san diego": "America/Los_Angeles",
    "san jose": "America/Los_Angeles", "silicon valley": "America/Los_Angeles",
    "salt lake city": "America/Denver", "mountain view": "America/Los_Angeles",
    "palo alto": "America/Los_Angeles", "rio": "America/Sao_Paulo", "rio de janeiro": "America/Sao_Paulo",
    "munich": "Europe/Berlin", "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "cologne": "Europe/Berlin", "barcelona": "Europe/Madrid", "milan": "Europe/Rome",
    "geneva": "Europe/Zurich", "krakow": "Europe/Warsaw", "st petersburg": "Europe/Moscow",
    "tel aviv": "Asia/Jerusalem", "cape town": "Africa/Johannesburg", "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata", "pune": "Asia/Kolkata", "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai", "osaka": "Asia/Tokyo", "hanoi": "Asia/Bangkok",
    "abu dhabi": "Asia/Dubai", "canberra": "Australia/Sydney", "wellington": "Pacific/Auckland",
    "india": "Asia/Kolkata", "japan": "Asia/Tokyo", "china": "Asia/Shanghai", "korea": "Asia/Seoul",
    "germany": "Europe/Berlin", "france": "Europe/Paris", "spain": "Europe/Madrid", "italy": "Europe/Rome",
    "netherlands": "Europe/Amsterdam", "uk": "Europe/London", "ireland": "Europe/Dublin",
    "israel": "Asia/Jerusalem", "poland": "Europe/Warsaw", "switzerland": "Europe/Zurich",
}  # fmt: skip
# Last parts of IANA names that are common words or names ("3pm Christmas party"), never read as places.
_NOT_PLACES = frozenset(
    {
        "christmas", "easter", "midway", "wake", "troll", "stanley", "reunion", "virgin", "resolute",
        "oral", "center", "north", "south", "west", "east", "general", "jersey", "guernsey", "vatican",
        "victoria", "regina", "beulah", "knox", "palmer", "davis", "casey", "mawson", "syowa", "vostok",
        "rothera", "macquarie", "mcmurdo", "yap", "truk", "factory", "localtime", "current", "swift current",
    }
)  # fmt: skip
# Places that are also first names or plain words: after a time, without "time", the reading is asked
# ("1:1 3pm Sydney" may be a person, "3pm Central Park" a place to meet).
_ASKED_WHEN_BARE = frozenset(
    {
        "central", "eastern", "mountain", "pacific", "atlantic", "british", "universal", "greenwich",
        "sydney", "austin", "dallas", "denver", "houston", "phoenix", "lima", "santiago", "dawson",
        "darwin", "perth", "chelsea", "adelaide", "madison", "florence", "hobart",
        "lindeman", "currie", "boston", "regina", "victoria", "georgia", "jackson", "nome", "kingston",
    }
)  # fmt: skip
_PLACE_AREAS = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/")


def normalize(words: str) -> str:
    """Lower case, accents and dots dropped, `_` and `-` as spaces: "São_Paulo" and "sao paulo" agree."""
    decomposed = unicodedata.normalize("NFKD", words)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.lower().replace("_", " ").replace("-", " ").replace(".", " ").replace("\u2019", "'")
    return " ".join(plain.split())


@cache
def _iana_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones() if "/" in name or name == "UTC"}


@cache
def _place_names() -> dict[str, str]:
    places: dict[str, str] = {}
    # Shorter names first, so "America/Indianapolis" gives way to nothing and the table stays stable.
    for name in sorted(_iana_names().values(), key=lambda n: (n.count("/"), n)):
        if not name.startswith(_PLACE_AREAS) or name.startswith("America/North_Dakota/"):
            continue
        place = normalize(name.rsplit("/", 1)[-1])
        if len(place) >= 4 and place not in _NOT_PLACES:
            places.setdefault(place, name)
    places.update(_PLACES)
    return places


def iana_zone(text: str) -> str | None:
    """The IANA zone written `text` in any case ("europe/berlin"), or None."""
    return _iana_names().get(text.strip().lower())


def also_a_word(text: str) -> bool:
    """Whether an abbreviation is also an English word ("ART", "CAT"), read only where a zone is expected."""
    return text.strip().lower() in _CAPITALS_ONLY


def abbreviation_zone(text: str) -> str | None:
    """The zone an abbreviation ("CET", "pst") is read as, or None."""
    word = text.strip()
    if word.lower() in _CAPITALS_ONLY and not word.isupper():
        return None
    return _ABBREVIATIONS.get(word.lower())


def place_zone(words: str) -> str | None:
    """The zone of a city, region or country name ("Berlin", "são paulo", "New York"), or None."""
    return _place_names().get(normalize(words))


def asked_when_bare(words: str) -> bool:
    """Whether a place is also a first name or a plain word ("Sydney", "Central"), worth asking about."""
    return normalize(words) in _ASKED_WHEN_BARE


def looks_like_an_area(word: str) -> bool:
    """Whether `word` is, or is a near miss of, the first part of an IANA name ("Europa", "Americas")."""
    lowered = word.lower()
    return lowered in IANA_AREAS or bool(difflib.get_close_matches(lowered, IANA_AREAS, n=1, cutoff=0.75))
