"""The bundled sample site: a small UNN-style news site for the demo, tests, benchmarks."""

from newscrawl.testing.demo.generated import generated_stories
from newscrawl.testing.demo.site import demo_site
from newscrawl.testing.demo.stories import Story, Version, demo_stories, linked_version

__all__ = [
    "Story",
    "Version",
    "demo_site",
    "demo_stories",
    "generated_stories",
    "linked_version",
]
