"""Age-based revisits: which archived articles a run fetches again, and the snapshots it adds.

The clock is injected with NEWSCRAWL_NOW, so a week of cron runs takes seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.runs.revisits import RevisitRule, duration, revisit_schedule
from newscrawl.testing.demo import Story, demo_site, generated_stories
from newscrawl.testing.mirror import Mirror
from tests.conftest import StartMirror, rows
from tests.test_cron import FAST, crawl_runs, newscrawl

pytestmark = pytest.mark.timeout(300)

T0 = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Four articles, by their age at T0.
AGES = {"young": 2 * HOUR, "mid": 3 * DAY, "older": 10 * DAY, "old": 40 * DAY}


def test_schedule_setting_is_read_and_checked() -> None:
    assert revisit_schedule("24h:0,7d:1d,30d:7d") == (
        RevisitRule(timedelta(hours=24), timedelta(0)),
        RevisitRule(timedelta(days=7), timedelta(days=1)),
        RevisitRule(timedelta(days=30), timedelta(weeks=1)),
    )
    assert revisit_schedule("off") == revisit_schedule("") == ()
    assert duration("90m") == timedelta(minutes=90) and duration("2w") == timedelta(days=14)
    for bad in ("24h", "24h:x", "7d:1d,24h:0", "24:0"):
        with pytest.raises(ValueError, match="NEWSCRAWL_REVISITS"):
            revisit_schedule(bad)


def _article(
    archive: Archive, url: str, published: str | None, first_seen: str, last_seen: str
) -> None:
    archive.db.table("articles").insert(
        {
            "url": url,
            "site": "unn.ua",
            "published_at": published,
            "fetched_at": last_seen,
            "content_hash": url,
            "first_seen_at": first_seen,
            "last_seen_at": last_seen,
        }
    )


def test_due_selection_follows_the_schedule_and_uses_the_index(tmp_path: Path) -> None:
    now = "2024-07-01T12:00:00+00:00"
    with Archive(tmp_path / "news.db") as archive:
        # Kyiv offsets: 12:00+03:00 is 09:00 UTC, five hours before now.
        _article(archive, "young", "2024-07-01T10:00:00+03:00", now, "2024-07-01T11:59:00+00:00")
        # Two days old: due once its last fetch is a day old.
        _article(archive, "mid-due", "2024-06-29T12:00:00+03:00", now, "2024-06-30T11:00:00+00:00")
        _article(
            archive, "mid-recent", "2024-06-29T12:00:00+03:00", now, "2024-06-30T13:00:00+00:00"
        )
        # No date: its age is counted from first_seen_at.
        _article(archive, "undated", None, "2024-06-21T12:00:00+00:00", "2024-06-23T12:00:00+00:00")
        _article(archive, "ancient", "2024-05-01T12:00:00+03:00", now, "2024-05-01T12:00:00+00:00")
        archive.db.table("articles").insert(
            {"url": "elsewhere", "site": "example.com", "published_at": "2024-07-01T11:00:00+00:00",
             "fetched_at": now, "content_hash": "e", "first_seen_at": now, "last_seen_at": now}
        )  # fmt: skip

        schedule = revisit_schedule("24h:0,7d:1d,30d:7d")
        due = archive.urls_due_for_revisit("unn.ua", datetime.fromisoformat(now), schedule)
        assert due == ["young", "mid-due", "undated"]
        # Every run: even an article fetched a minute ago is due while under 24 hours old.
        hourly = revisit_schedule("24h:1h")
        assert archive.urls_due_for_revisit("unn.ua", datetime.fromisoformat(now), hourly) == []

        plan = " ".join(
            str(row[-1])
            for row in archive.db.execute(
                "EXPLAIN QUERY PLAN SELECT url FROM articles WHERE site = ? AND "
                "julianday(coalesce(published_at, first_seen_at)) > julianday(?)",
                ["unn.ua", now],
            )
        )
        assert "USING INDEX idx_articles_site_age" in plan


def _site(stories: list[Story], views_offset: int) -> dict:
    return demo_site("r", stories=stories, views_offset=views_offset)


@pytest.mark.e2e
def test_revisits_add_view_snapshots_on_schedule(start_mirror: StartMirror, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    stories = generated_stories(0, T0, ages=list(AGES.values()), views=500)
    by_name = dict(zip(AGES, (s.versions["uk"] for s in stories), strict=True))
    resources = _site(stories, 0)
    mirror = start_mirror(resources)

    def run_at(now: datetime, views_offset: int) -> dict[str, int]:
        """One cron run at `now`, the site showing views + views_offset; article fetches."""
        resources.update(_site(stories, views_offset))
        mirror.hits.clear()
        done = newscrawl(
            ["crawl", "unn", "--db", str(db), "-a", f"base_url={mirror}", *FAST],
            tmp_path,
            env={"NEWSCRAWL_NOW": now.isoformat()},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return {name: mirror.hits[v.path] for name, v in by_name.items()}

    assert run_at(T0, 0) == {"young": 1, "mid": 1, "older": 1, "old": 1}
    # An hour later only the article under 24 hours old is due (every run).
    assert run_at(T0 + HOUR, 10) == {"young": 1, "mid": 0, "older": 0, "old": 0}
    # A day later: the daily ones whose last fetch is a day old; "older" is weekly.
    assert run_at(T0 + 25 * HOUR, 20) == {"young": 1, "mid": 1, "older": 0, "old": 0}
    # A week on: "older" (18 days) is due weekly; the others were fetched under 7 days ago.
    assert run_at(T0 + 8 * DAY, 30) == {"young": 0, "mid": 0, "older": 1, "old": 0}
    assert run_at(T0 + 9 * DAY, 40) == {"young": 1, "mid": 1, "older": 0, "old": 0}

    def own_snapshots(name: str) -> list[tuple[str, int]]:
        url = by_name[name].url
        return [
            (row["observed_at"], row["views"])
            for row in rows(
                db,
                "SELECT observed_at, views FROM view_snapshots WHERE url = ? AND seen_on = url "
                "ORDER BY observed_at",
                [url],
            )
        ]

    def at(moment: datetime) -> str:
        return moment.isoformat()

    young = by_name["young"].views
    assert own_snapshots("young") == [
        (at(T0), young),
        (at(T0 + HOUR), young + 10),
        (at(T0 + 25 * HOUR), young + 20),
        (at(T0 + 9 * DAY), young + 40),
    ]
    old = by_name["old"].views
    assert own_snapshots("old") == [(at(T0), old)]
    # The listing's cards showed every count each run, at no extra request.
    card_views = [
        row["views"]
        for row in rows(
            db,
            "SELECT views FROM view_snapshots WHERE url = ? AND seen_on = ? ORDER BY observed_at",
            [by_name["old"].url, "https://unn.ua/news"],
        )
    ]
    assert card_views == [old, old + 10, old + 20, old + 30, old + 40]

    # Revisits go through the version rules: same content, so no update, only new views.
    runs = crawl_runs(db)
    assert [run["revisits"] for run in runs] == [0, 1, 2, 1, 2]
    assert [run["articles_unchanged"] for run in runs] == [0, 1, 2, 1, 2]
    assert all(run["articles_updated"] == 0 for run in runs)
    assert rows(db, "SELECT count(*) AS n FROM article_versions")[0]["n"] == 0
    assert [run["articles_new"] for run in runs] == [4, 0, 0, 0, 0]
    articles = {
        row["url"]: row
        for row in rows(db, "SELECT url, views, last_seen_at, first_seen_at FROM articles")
    }
    assert articles[by_name["young"].url]["views"] == young + 40
    assert articles[by_name["young"].url]["last_seen_at"] == at(T0 + 9 * DAY)
    assert articles[by_name["old"].url]["views"] == old  # cards do not move the article row
    assert all(row["first_seen_at"] == at(T0) for row in articles.values())


def _three_articles_crawled_at_t0(
    start_mirror: StartMirror, tmp_path: Path
) -> tuple[Path, Mirror, list[str]]:
    """An archive of three articles published an hour apart, crawled at T0; hits cleared."""
    db = tmp_path / "news.db"
    stories = generated_stories(3, T0, spacing=HOUR)
    mirror = start_mirror(demo_site("r", stories=stories))
    args = ["crawl", "unn", "--db", str(db), "-a", f"base_url={mirror}", *FAST]
    assert newscrawl(args, tmp_path, env={"NEWSCRAWL_NOW": T0.isoformat()}).returncode == 0
    mirror.hits.clear()
    return db, mirror, args


@pytest.mark.e2e
def test_revisits_can_be_switched_off(start_mirror: StartMirror, tmp_path: Path) -> None:
    db, mirror, args = _three_articles_crawled_at_t0(start_mirror, tmp_path)

    later = {"NEWSCRAWL_NOW": (T0 + HOUR).isoformat(), "NEWSCRAWL_REVISITS": "off"}
    done = newscrawl(args, tmp_path, env=later)

    assert done.returncode == 0, done.stderr
    assert not [path for path in mirror.hits if "/news/" in path]
    assert crawl_runs(db)[-1]["revisits"] == 0


@pytest.mark.e2e
def test_revisits_per_run_can_be_capped_youngest_first(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db, mirror, args = _three_articles_crawled_at_t0(start_mirror, tmp_path)

    later = {"NEWSCRAWL_NOW": (T0 + HOUR).isoformat(), "NEWSCRAWL_MAX_REVISITS": "2"}
    done = newscrawl(args, tmp_path, env=later)

    assert done.returncode == 0, done.stderr
    assert crawl_runs(db)[-1]["revisits"] == 2
    published = sorted(
        (row["published_at"], row["url"])
        for row in rows(db, "SELECT url, published_at FROM articles")
    )
    revisited = {path for path in mirror.hits if "/news/" in path}
    youngest_two = {url.removeprefix("https://unn.ua") for _, url in published[-2:]}
    assert revisited == youngest_two
