"""`newscrawl sources` and `sources check`, the sources file format, and `next_due`.

The live checks run against a mirror of a made-up outlet (`mirror_site`): an
RSS feed (served gzip-encoded), an Atom feed, a sitemap index with two
children, article pages and a robots.txt, all written here. The outlet is
declared in a sources file that drops the catalogue and switches the
hand-parsed sites off, so `sources check` with no names checks it alone.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from newscrawl.archive import Archive
from newscrawl.runs.due import next_due
from newscrawl.runs.project import project_settings
from newscrawl.sites.check import Fetcher
from newscrawl.sites.registry import (
    CATALOGUE,
    bundled_sites,
    hand_parsed_sites,
    registry_of_settings,
)
from newscrawl.sites.sources import interval_of, interval_text, sources_file
from newscrawl.sites.spec import Site
from newscrawl.testing.mirror import Mirror, Resource
from newscrawl.testing.outlets import others_switched_off
from tests.conftest import NewscrawlInProcess, StartMirror, run_newscrawl

NAME = "mirror_news"
HEADLINE = "Київ відкриває три нові станції метро"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
HTML = "text/html; charset=utf-8"


# --- the made-up outlet ------------------------------------------------------------


def article_html(headline: str, paragraphs: int = 3) -> bytes:
    """A small article page: a headline in <h1>, a <time datetime> and paragraphs."""
    text = "".join(
        f"<p>Абзац {n}: міська рада затвердила кошторис будівництва нових станцій, "
        "і перші пасажири зможуть проїхати ними вже наступного року.</p>"
        for n in range(1, paragraphs + 1)
    )
    return f"""<!doctype html>
<html lang="uk"><head><meta charset="utf-8"><title>{headline} | Mirror News</title></head>
<body><header><nav><a href="/">Головна</a> <a href="/news/">Новини</a></nav></header>
<main><article>
<h1>{headline}</h1>
<time datetime="2024-07-01T09:30:00+03:00">1 липня 2024, 09:30</time>
{text}
</article></main>
<footer>© Mirror News</footer></body></html>
""".encode()


NOT_AN_ARTICLE = b"""<!doctype html>
<html lang="uk"><head><meta charset="utf-8"><title>Mirror News</title></head>
<body><ul><li><a href="/news/a.html">A</a></li><li><a href="/news/b.html">B</a></li></ul>
</body></html>
"""


def rss(base: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        "<pubDate>Mon, 01 Jul 2024 06:30:00 +0000</pubDate></item>"
        for title, link in (
            (HEADLINE, f"{base}/news/a.html"),
            ("Друга новина", f"{base}/news/b.html"),
            ("Третя новина", f"{base}/news/c.html"),
            ("Про нас", f"{base}/about.html"),  # not an article: article_path
            ("Чужа", "https://example.com/news/x.html"),  # not the outlet's host
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Mirror News</title><link>{base}/</link>{items}</channel></rss>"
    ).encode()


def atom(base: str) -> bytes:
    entries = "".join(
        f'<entry><title>{n}</title><link rel="alternate" href="{base}/news/{n}.html"/>'
        f"<id>{base}/news/{n}.html</id><updated>2024-07-01T06:00:00Z</updated></entry>"
        for n in ("c", "d")
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Mirror News</title><id>{base}/</id>{entries}</feed>"
    ).encode()


def sitemap_index(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-2024-06.xml</loc><lastmod>2024-06-30</lastmod></sitemap>"
        f"<sitemap><loc>{base}/sitemap-2024-07.xml</loc><lastmod>2024-07-01</lastmod></sitemap>"
        "</sitemapindex>"
    ).encode()


def urlset(*urls: str) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def mirror_site(base: str) -> dict[str, Resource]:
    """The outlet at `base`: 5 distinct article URLs across two feeds and the newest sitemap."""
    return {
        "/robots.txt": Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        # gzip-encoded on the wire, as most servers send feeds.
        "/rss.xml": Resource(
            gzip.compress(rss(base)), RSS, headers=(("Content-Encoding", "gzip"),)
        ),
        "/atom.xml": Resource(atom(base), ATOM),
        "/sitemap.xml": Resource(sitemap_index(base), XML),
        "/sitemap-2024-07.xml": Resource(urlset(f"{base}/news/e.html", f"{base}/news/a.html"), XML),
        "/sitemap-2024-06.xml": Resource(urlset(f"{base}/news/old.html"), XML),
        "/news/a.html": Resource(article_html(HEADLINE), HTML),
        "/news/b.html": Resource(article_html("Друга новина"), HTML),
    }


def sources_toml(base: str, *, feeds: str = '["/rss.xml", "/atom.xml"]') -> str:
    # Only the mirror's outlet is checked.
    return f"""\
{others_switched_off()}[outlets.{NAME}]
title = "Mirror News"
home = "{base}"
languages = ["uk"]
feeds = {feeds}
sitemaps = ["/sitemap.xml"]
article_path = '^/news/[a-z]+\\.html$'
interval = "20m"
evidence = "made up for tests/test_sources.py"
"""


@pytest.fixture
def outlet(start_mirror: StartMirror) -> Mirror:
    """The made-up outlet on a fresh mirror (resources filled in once its URL is known)."""
    resources: dict[str, Resource] = {}
    mirror = start_mirror(resources)
    resources.update(mirror_site(mirror))
    return mirror


def serve_instead(mirror: Mirror, path: str, resource: Resource) -> None:
    """Make the running mirror answer `path` with `resource` (it reads its dict live)."""
    cast(dict[str, Resource], mirror.resources)[path] = resource


def write_sources(folder: Path, text: str) -> Path:
    path = folder / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- newscrawl sources --------------------------------------------------------------


@pytest.mark.e2e
def test_sources_lists_every_registered_outlet_and_json_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    registry = registry_of_settings(project_settings({"NEWSCRAWL_DB": str(db)}))
    table = run_newscrawl(["sources", "--db", str(db)], tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["name", "kind"]
    listed = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert listed == {site.name: site.kind for site in registry}
    assert len(listed) == len(registry) > 20
    assert listed["unn"] == "hand-parsed" and listed["unian"] == "declared"
    assert all(re.search(r"\bnever\s+-\s+now\s+(yes|no)$", line) for line in lines[1:])

    as_json = run_newscrawl(["sources", "--json", "--db", str(db)], tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    objects = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [o["name"] for o in objects] == [site.name for site in registry]
    for found, site in zip(objects, registry, strict=True):
        assert found["kind"] == site.kind
        assert found["domains"] == list(site.all_domains)
        assert found["feeds"] == {k: list(v) for k, v in site.feeds.items()}
        assert found["sitemaps"] == {k: list(v) for k, v in site.sitemaps.items()}
        assert found["evidence"] == site.evidence and found["evidence"]
        assert found["declared_in"] == site.declared_in
        assert interval_of(found["interval"]) == site.interval
        assert found["last_run"] is None and found["due"] is True


@pytest.mark.e2e
def test_sources_shows_overrides_last_runs_and_when_each_is_due(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with Archive(db) as archive:
        archive.record_run(
            {
                "spider": "unian",
                "site": "unian.ua",
                "started_at": "2024-07-01T11:00:00+00:00",
                "finished_at": "2024-07-01T11:03:00+00:00",
                "finish_reason": "finished",
                "exit_code": 0,
            }
        )
    # Beside the archive, so found without --sources.
    write_sources(
        tmp_path, '[outlets.unian]\ninterval = "45m"\n\n[outlets.censor]\nenabled = false\n'
    )
    done = run_newscrawl(
        ["sources", "--db", str(db), "-v"], tmp_path, env={"NEWSCRAWL_NOW": "2024-07-01T11:10:00Z"}
    )
    assert done.returncode == 0, done.stderr
    rows = {
        line.split()[0]: line.split() for line in done.stdout.splitlines()[1:] if line[0] != " "
    }
    assert rows["unian"][1:] == [
        "declared", "45m", "2024-07-01T11:00Z", "0", "finished", "2024-07-01T11:45Z", "no"
    ]  # fmt: skip
    assert rows["censor"][-2:] == ["off", "no"]
    assert rows["unn"][-2:] == ["now", "yes"]
    assert f"declared in: {CATALOGUE}; {tmp_path / 'sources.toml'}" in done.stdout
    assert "    evidence: sites/unn.md" in done.stdout


# --- bad sources files ----------------------------------------------------------------

GOOD_ENTRY = 'home = "https://example.ua"\nlanguages = ["uk"]\nfeeds = ["/rss"]\n'


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (GOOD_ENTRY + 'colour = "red"\n', "colour"),
        (GOOD_ENTRY + "article_path = '^/news/(?P<id>\\d+'\n", "article_path"),
        (GOOD_ENTRY + "article_path = '^/news/\\d+'\ncounter = \"/views/{id}\"\n", "counter"),
        (GOOD_ENTRY + 'interval = "fortnightly"\n', "interval"),
        (GOOD_ENTRY + 'timezone = "Europe/Atlantis"\n', "timezone"),
        ('languages = ["uk"]\nfeeds = ["/rss"]\n', "home"),
    ],
    ids=["unknown-field", "bad-regex", "counter-without-id", "bad-interval", "bad-zone", "no-home"],
)
@pytest.mark.parametrize("command", [["sources"], ["sources", "check"]])
def test_a_bad_entry_is_a_usage_error_naming_file_outlet_and_field(
    newscrawl_in_process: NewscrawlInProcess,
    tmp_path: Path,
    entry: str,
    field: str,
    command: list[str],
) -> None:
    path = write_sources(tmp_path, f"[outlets.example]\n{entry}")
    done = newscrawl_in_process([*command, "--sources", str(path)])
    assert done.returncode == 2
    assert done.stdout == ""
    message = done.stderr.strip()
    assert message.startswith(f"newscrawl: {path}: outlet 'example', field '{field}': "), message
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_check_with_a_bad_sources_file_fetches_nothing(outlet: Mirror, tmp_path: Path) -> None:
    path = write_sources(tmp_path, sources_toml(outlet) + 'timezone = "Mars/Olympus"\n')
    done = run_newscrawl(
        ["sources", "check", NAME, "--sources", str(path), "--delay", "0"], tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"newscrawl: {path}: outlet '{NAME}', field 'timezone': ")
    assert not outlet.hits


def test_a_missing_named_sources_file_is_a_usage_error(
    newscrawl_in_process: NewscrawlInProcess, tmp_path: Path
) -> None:
    done = newscrawl_in_process(["sources", "--sources", str(tmp_path / "nowhere.toml")])
    assert done.returncode == 2
    assert "nowhere.toml: no such sources file" in done.stderr


# --- newscrawl sources check ------------------------------------------------------------


@pytest.mark.e2e
def test_check_reports_feeds_sitemap_article_count_and_parsed_sample(
    outlet: Mirror, tmp_path: Path
) -> None:
    path = write_sources(tmp_path, sources_toml(outlet))
    done = run_newscrawl(
        ["sources", "check", NAME, "--sources", str(path), "--delay", "0"], tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"feed  {outlet}/rss.xml  200, 3 article URLs" in out  # gzip undone
    assert f"feed  {outlet}/atom.xml  200, 2 article URLs" in out
    assert f"sitemap index  {outlet}/sitemap.xml  200\n" in out
    assert f"sitemap (newest in index)  {outlet}/sitemap-2024-07.xml  200, 2 article URLs" in out
    assert "article URLs found: 5" in out  # a..e, each once; /about and example.com left out
    assert f"sample article  {outlet}/news/a.html  200, parsed: yes, headline '{HEADLINE}'" in out
    assert f"{NAME}: OK" in out
    assert out.rstrip().endswith("1 checked: 1 OK, 0 BROKEN")
    # Only the newest child of the index, one sample article, robots.txt once.
    assert outlet.hits["/sitemap-2024-06.xml"] == 0
    assert outlet.hits_under("/news/") == {"/news/a.html": 1}
    assert outlet.hits["/robots.txt"] == 1


@pytest.mark.e2e
def test_check_without_names_checks_every_enabled_outlet(outlet: Mirror, tmp_path: Path) -> None:
    path = write_sources(tmp_path, sources_toml(outlet))
    done = run_newscrawl(
        ["sources", "check", "--delay", "0"], tmp_path, env={"NEWSCRAWL_SOURCES": str(path)}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("1 checked: 1 OK, 0 BROKEN")
    assert "unn" not in done.stdout.split()


@pytest.mark.e2e
def test_check_of_a_feed_that_404s_is_broken(outlet: Mirror, tmp_path: Path) -> None:
    path = write_sources(tmp_path, sources_toml(outlet, feeds='["/rss.xml", "/gone.xml"]'))
    done = run_newscrawl(
        ["sources", "check", NAME, "--sources", str(path), "--delay", "0"], tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{NAME}: BROKEN: feed {outlet}/gone.xml: HTTP 404" in done.stdout
    assert done.stdout.rstrip().endswith(f"1 checked: 0 OK, 1 BROKEN ({NAME})")


@pytest.mark.e2e
def test_check_of_a_sample_that_is_no_article_is_broken(outlet: Mirror, tmp_path: Path) -> None:
    serve_instead(outlet, "/news/a.html", Resource(NOT_AN_ARTICLE, HTML))
    path = write_sources(tmp_path, sources_toml(outlet))
    done = run_newscrawl(
        ["sources", "check", NAME, "--sources", str(path), "--delay", "0"], tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{NAME}: BROKEN: sample article {outlet}/news/a.html: not an article" in done.stdout
    assert "parsed: no (a body of " in done.stdout


def test_the_check_drops_short_bodies_as_the_validate_pipeline_does() -> None:
    from newscrawl.sites import check
    from pipelines import validate

    assert check.MIN_BODY_CHARS == validate.MIN_BODY_CHARS


@pytest.mark.e2e
def test_check_does_not_fetch_what_robots_txt_disallows(outlet: Mirror, tmp_path: Path) -> None:
    robots = Resource(b"User-agent: *\nDisallow: /atom.xml\n", "text/plain")
    serve_instead(outlet, "/robots.txt", robots)
    path = write_sources(tmp_path, sources_toml(outlet))
    done = run_newscrawl(
        ["sources", "check", NAME, "--sources", str(path), "--delay", "0"], tmp_path
    )
    assert done.returncode == 1
    assert f"BROKEN: feed {outlet}/atom.xml: disallowed by robots.txt" in done.stdout
    assert outlet.hits["/atom.xml"] == 0


def test_check_of_an_unknown_outlet_names_it_and_the_known_ones(
    newscrawl_in_process: NewscrawlInProcess,
) -> None:
    done = newscrawl_in_process(["sources", "check", "unn", "no_such_outlet"])
    assert done.returncode == 2
    assert "newscrawl: unknown outlet 'no_such_outlet'; known outlets: " in done.stderr
    assert "unn" in done.stderr and "pravda" in done.stderr and "unian" in done.stderr


def test_check_help_gives_its_exit_codes(newscrawl_in_process: NewscrawlInProcess) -> None:
    done = newscrawl_in_process(["sources", "check", "--help"])
    assert done.returncode == 0
    assert "exit codes:" in done.stdout and "BROKEN" in done.stdout and "--delay" in done.stdout


# --- the fetcher: size cap, delay --------------------------------------------------------


def test_fetcher_caps_bodies_and_waits_between_requests(outlet: Mirror) -> None:
    waits: list[float] = []
    fetcher = Fetcher("test-agent", max_bytes=100, delay=2.0, sleep=waits.append, clock=lambda: 0.0)
    big = fetcher.get(f"{outlet}/news/a.html")
    assert big.error == "too large" and not big.ok
    # robots.txt, then the page, then another page: a wait before each but the first.
    small = Fetcher("test-agent", delay=0).get(f"{outlet}/robots.txt")
    assert small.ok and small.body.startswith(b"User-agent")
    fetcher.get(f"{outlet}/news/b.html")
    assert waits == [2.0, 2.0]
    assert fetcher.get(f"{outlet}/private/x.html").error == "disallowed by robots.txt"
    assert outlet.hits["/private/x.html"] == 0


# --- newscrawl.sites.sources and next_due ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1d6h", timedelta(days=1, hours=6)),
    ],
)
def test_interval_of_reads_and_interval_text_writes_intervals(
    text: str, interval: timedelta
) -> None:
    assert interval_of(text) == interval
    assert interval_text(interval) == text


@pytest.mark.parametrize("text", ["", "15", "m15", "1w", "0m", "1h 30", "-1h"])
def test_interval_of_refuses_what_is_no_interval(text: str) -> None:
    with pytest.raises(ValueError, match="interval"):
        interval_of(text)


def test_an_entry_for_a_known_outlet_changes_only_its_fields(tmp_path: Path) -> None:
    path = write_sources(
        tmp_path,
        '[outlets.unian]\ninterval = "15m"\nenabled = false\n\n[outlets.unn]\nverified = false\n',
    )
    known = bundled_sites()
    sites = sources_file(path).sites_over(known)
    assert sites["unian"].interval == timedelta(minutes=15) and not sites["unian"].enabled
    assert sites["unian"].feeds == known["unian"].feeds
    assert sites["unian"].declared_in == f"{CATALOGUE}; {path}"
    assert sites["unn"].parser is known["unn"].parser and not sites["unn"].verified
    assert known["unian"].enabled  # the bundled sites themselves are untouched


def test_the_catalogue_loads_and_every_entry_has_evidence_and_is_unverified() -> None:
    entries = sources_file(CATALOGUE).entries
    sites = bundled_sites()
    # Every bundled outlet that is not hand-parsed is a catalogue entry.
    assert set(entries) == set(sites) - set(hand_parsed_sites())
    assert len(entries) >= 20
    for name in entries:
        site = sites[name]
        assert site.kind == "declared"
        assert site.evidence, f"{name} has no evidence"
        assert site.verified is False, f"{name} is marked verified"
        assert site.locations("feeds") or site.locations("sitemaps")


def _site(**fields: object) -> Site:
    return Site(
        name="x",
        home="https://x.ua",
        languages=("uk",),
        feeds={"*": ("/rss",)},
        **fields,  # type: ignore[arg-type]
    )


def test_next_due_is_the_last_start_plus_the_interval_never_in_the_past() -> None:
    now = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    site = _site(interval=timedelta(minutes=30))
    assert next_due(site, None, now) == now
    assert next_due(site, now - timedelta(minutes=10), now) == now + timedelta(minutes=20)
    assert next_due(site, now - timedelta(hours=5), now) == now
    assert next_due(_site(enabled=False), now - timedelta(minutes=10), now) is None
    assert next_due(_site(enabled=False), None, now) is None
