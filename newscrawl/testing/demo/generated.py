"""Generated stories: a demo site of any size, with publication times where a test wants them.

The bundled sample has 31 pages, too few to measure "a second run costs under
10% of the first" or to place articles at given ages for the revisit schedule.
These stories render through the same `demo_site` markup, so the real UNN
parser reads them; their text is invented and numbered, so no two pages share
content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from newscrawl.testing.demo.stories import KYIV, Story, Version

__all__ = ["generated_stories"]

_PLACES = ("Києві", "Львові", "Одесі", "Харкові", "Дніпрі", "Житомирі", "Полтаві", "Ужгороді")
_TOPICS = (
    ("відкрили новий сквер біля річкового вокзалу", "Мешканці району давно просили облаштувати"),
    ("оновили розклад приміських автобусів", "Перевізники пояснюють зміни новими маршрутами"),
    ("провели ярмарок місцевих виробників", "Фермери привезли мед, сири та сезонні овочі"),
    ("запустили програму ремонту шкільних дахів", "Роботи планують завершити до початку осені"),
)


def generated_stories(
    count: int,
    newest: datetime,
    *,
    spacing: timedelta = timedelta(hours=1),
    ages: Sequence[timedelta] | None = None,
    views: int = 1000,
) -> list[Story]:
    """`count` Ukrainian-only stories, newest first.

    Story i is published `spacing * i` before `newest`, or `ages[i]` before it
    when `ages` is given (then `count` is ignored). Views are `views + i`.
    """
    offsets = list(ages) if ages is not None else [spacing * i for i in range(count)]
    return [_story(i, newest - offset, views + i) for i, offset in enumerate(offsets)]


def _story(number: int, published_at: datetime, views: int) -> Story:
    published_at = published_at.astimezone(KYIV).replace(second=0, microsecond=0)
    place = _PLACES[number % len(_PLACES)]
    topic, context = _TOPICS[number % len(_TOPICS)]
    story_id = f"generated-{number}"
    headline = f"У {place} {topic} (повідомлення {number})"
    summary = f"{context}. Це повідомлення номер {number} у згенерованій стрічці новин."
    body = (
        f"Про це повідомили у міській раді, передає УНН. {context}, тож рішення "
        f"ухвалили ще навесні, а повідомлення номер {number} підтверджує початок робіт.",
        f"Представники громади розповіли, що наступний етап обговорять на відкритих "
        f"слуханнях у {place}. Мешканці можуть надсилати свої пропозиції до кінця місяця.",
    )
    version = Version(
        story_id=story_id,
        language="uk",
        slug=f"zghenerovana-novyna-{number}",
        headline=headline,
        summary=summary,
        section="Суспільство",
        section_path="/society",
        extra_tags=("Громада",),
        authors=("Олена Марчук",),
        author_slugs=("olena-marchuk",),
        views=views,
        views_style="plural",
        marked_paragraphs=body,
        published_at=published_at,
    )
    return Story(
        id=story_id,
        published_at=published_at,
        section_key="society",
        versions={"uk": version},
        amp_languages=(),
        has_jsonld=True,
        has_canonical=True,
        has_author_block=True,
        has_figure=False,
        read_also_refs=(),
        related_ids=(),
    )
