"""The parser skips a pattern's scan when the text lacks what every match of it needs (`_NEEDS`): for
that to change no result, a pattern that finds a match must always find its needs in the folded text.
Checked on texts built at random from the patterns' own words, numbers and marker characters."""

from __future__ import annotations

import random

import pytest

from bot.domain import schedule_text as st

WORDS = [
    *st._WEEKDAYS, *st._MONTHS, *st._WORD_NUMBERS, *st._PARTS_OF_DAY,
    "in", "within", "about", "for", "lasting", "from", "now", "right", "today", "tonight", "tomorrow",
    "tmrw", "tmr", "tommorow", "yesterday", "the", "day", "days", "after", "week", "weeks", "next",
    "this", "coming", "on", "of", "at", "starting", "@", "noon", "midday", "midnight", "o'clock",
    "o\u2019clock", "am", "pm", "a.m.", "p.m.", "h", "hour", "hours", "hr", "min", "mins", "half", "an",
    "quarter", "and", "to", "until", "till", "til", "between", "-", "\u2013", "every", "each", "other",
    "daily", "weekly", "bi-weekly", "fortnightly", "monthly", "quarterly", "yearly", "weekdays",
    "workday", "business days", "mondays", "through", "times", "occurrences", "meetings", "ending",
    "ends", "with", "w/", "cc", "time", "timezone", "time zone", "st", "nd", "rd", "th", "utc",
    "Europe/Berlin", "berlin", "(", ")", ",", ".", ":", "/", "'", '"', "\u201c", "\u201d", "\u00ab",
]  # fmt: skip
PHRASES = [
    "in 2 hours", "2 weeks from now", "3 days from today", "for 45 min", "for 1h30", "for an hour",
    "the 3rd", "on the 21st", "10.30", "at 9.15", "2026-01-02", "12.3.", "3/4", "9h30", "10-11am",
    "from 9 to 5", "for 3", "for 10 times", "every weekday", "mon-fri", "until friday", "at noon",
    "4 o'clock", "3pm", "9 a.m.", "Berlin time", "every other month on the first monday",
    "2 hours from now", "30 mins from now", "next week", "this week", "for 3 weeks", "for the next 2 months",
    "'Sync'", '"Plan"', "\u201cQ3\u201d", "in the morning", "this evening",
    "at night", f"with {st._INVITEE}", f"{st._INVITEE} and {st._INVITEE}", f"{st._DATE} evening",
    f"starting {st._DATE}", f"{st._TIME} and 17", f"{st._TIME} and {st._TIME}", "every weekend",
    "for one time", "half past 3", "quarter to noon", "5 past 9am",
]  # fmt: skip
# Marker characters the parser writes over what it has read, and letters re.IGNORECASE reads as ASCII.
ODD = [st._GONE, st._DATE, st._TIME, st._KEEP, st._INVITEE, "\u0130", "\u0131", "\u017f", "\u212a", "\u00a0"]


def random_text(rng: random.Random) -> str:
    tokens = []
    for _ in range(rng.randint(1, 8)):
        pick = rng.random()
        if pick < 0.15:
            token = rng.choice(PHRASES)
        elif pick < 0.55:
            token = rng.choice(WORDS)
        elif pick < 0.85:
            token = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4)))
        else:
            token = rng.choice(ODD)
        if rng.random() < 0.2:
            token = token.upper() if rng.random() < 0.5 else token.title()
        tokens.append(token + rng.choice([" ", " ", " ", "", ",", ".", "-", ":", "/"]))
    return "".join(tokens)


@pytest.mark.parametrize("seed", range(4))
def test_a_pattern_that_matches_always_finds_its_needs(seed: int) -> None:
    rng = random.Random(seed)
    matched = dict.fromkeys(st._NEEDS, 0)
    for _ in range(2500):
        text = random_text(rng)
        folded = st._fold(text)
        assert len(folded) == len(text)
        for pattern, groups in st._NEEDS.items():
            if pattern.search(text) is None:
                continue
            matched[pattern] += 1
            for group in groups:
                assert any(needed in folded for needed in group), (pattern.pattern[:60], text)
    # The texts reach every pattern, so no need goes unchecked.
    assert all(matched.values()), [pattern.pattern[:60] for pattern, count in matched.items() if not count]
