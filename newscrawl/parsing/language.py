"""Language detection on article text, with the page's declared language as a hint.

The declared language (`<html lang>`, the URL prefix) and the text can differ: an
English UNN page may carry Ukrainian read-also titles, and a Ukrainian URL may hold a
Russian quote. So the text decides, and the hint only fills in when the text is too
short to tell or langdetect is unsure between candidates that include the hint.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from pathlib import Path

from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException
from langdetect.language import Language

# langdetect samples randomly; a fixed seed makes the same text give the same answer.
DetectorFactory.seed = 0

# Detection on the first characters only: the language does not change halfway through
# an article, and langdetect's cost grows with the text.
PREFIX_CHARS = 2000
# Below this many letters langdetect is a coin toss (and it flips uk/ru on short text).
MIN_LETTERS = 40
# Below this probability the hint wins if langdetect also considered it.
CONFIDENT = 0.8

# Tags seen in the wild that are not ISO 639-1.
_ALIASES = {"ua": "uk", "iw": "he", "in": "id", "ji": "yi"}
_LETTER = re.compile(r"[^\W\d_]")


def language_code(tag: str | None) -> str | None:
    """A language tag as a lower-case ISO 639-1 code: "uk-UA" -> "uk", "zh-cn" -> "zh"."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None


def detected_language(
    text: str | None,
    hint: str | None = None,
    *,
    prefix_chars: int = PREFIX_CHARS,
    trials: int | None = None,
    among: Collection[str] = (),
) -> str | None:
    """The ISO 639-1 language of the text; the (normalised) hint when the text cannot tell.

    `prefix_chars` bounds the text looked at; `trials` (langdetect's default is 7)
    trades certainty on ambiguous text for speed, as each trial costs the same.
    `among` restricts the answer to a site's known languages (e.g. uk, ru, en):
    langdetect then weighs 3 profiles instead of 55, which is both faster and
    immune to confusing Ukrainian with Bulgarian on a short text.
    """
    hint_code = language_code(hint)
    sample = (text or "")[:prefix_chars]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return hint_code
    # Re-set before each call: another module may have changed the shared seed.
    DetectorFactory.seed = 0
    try:
        candidates = _probabilities(sample, trials, frozenset(among))
    except LangDetectException:
        return hint_code
    if not candidates:
        return hint_code
    best = candidates[0]
    best_code = language_code(best.lang)
    if (
        hint_code
        and best.prob < CONFIDENT
        and any(language_code(c.lang) == hint_code for c in candidates)
    ):
        return hint_code
    return best_code or hint_code


def _probabilities(sample: str, trials: int | None, among: frozenset[str]) -> list[Language]:
    # What detect_langs() does, with a trial count and/or fewer profiles: a shared
    # factory (loading profiles takes a while), a detector with fewer random trials.
    factory = _factory_of(among) if among else _every_language_factory()
    detector = factory.create()
    if trials is not None:
        detector.n_trial = trials
    detector.append(sample)
    found: list[Language] = detector.get_probabilities()
    return found


@functools.cache
def _every_language_factory() -> DetectorFactory:
    """A langdetect factory with every profile langdetect ships, as detect_langs() loads."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    return factory


@functools.cache
def _factory_of(languages: frozenset[str]) -> DetectorFactory:
    """A langdetect factory that knows only `languages` (ISO 639-1 codes it has profiles for)."""
    profiles = Path(PROFILES_DIRECTORY)
    known = sorted(code for code in languages if (profiles / code).is_file())
    if len(known) != len(languages):
        missing = ", ".join(sorted(set(languages) - set(known)))
        raise ValueError(f"langdetect has no profile for: {missing}")
    factory = DetectorFactory()
    factory.load_json_profile([(profiles / code).read_text(encoding="utf-8") for code in known])
    return factory
