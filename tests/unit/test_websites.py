"""A website's host: the plain-host shortcut gives what ``urlsplit`` gives, on every shape.

``refine.websites.web_host`` reads a plain host straight after ``scheme://`` and leaves
every other URL to ``urllib.parse.urlsplit``; these tests run both over generated URLs
(schemes, ``www.``, ports, users, paths, queries, fragments, brackets, spaces, odd and
non-ASCII characters, empty hosts), over the sample generator's website column and over
the exports in ``data/``, and assert the same host for every one.
"""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import urlsplit

from hotpass.refine.websites import _PLAIN_HOST, clean_website, web_host

REPO = Path(__file__).resolve().parents[2]
_PIECES = ("www.", "acme", "-", ".", "co", ".za", "..", "9", "x", "@", ":", "8080", "/", "?",
           "#", "[", "]", "%", " ", "_", "é", "\u00a0", "\t", "a-b", "xn--", "", "//")
_SCHEMES = ("http://", "https://", "ftp://", "HTTP://", "h1+x.y-z://", "http:/", "http:",
            "mailto:", "1http://", "", "//")


def _urlsplit_host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _generated(rng: random.Random, count: int) -> list[str]:
    urls = []
    for _ in range(count):
        host = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 7)))
        tail = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 3)))
        urls.append((rng.choice(_SCHEMES) + host + tail).lower())
    return urls


def _assert_same(urls: list[str]) -> int:
    wrong = [(u, web_host(u), _urlsplit_host(u)) for u in urls if web_host(u) != _urlsplit_host(u)]
    assert not wrong, f"{len(wrong)} differ, e.g. {wrong[:5]}"
    return sum(1 for u in urls if _PLAIN_HOST.match(u))


def test_generated_urls_get_the_host_urlsplit_gives():
    urls = _generated(random.Random(21), 60000)
    assert _assert_same(urls) > 10000  # the shortcut is taken, and not for all


def test_the_generators_and_the_sample_exports_websites_get_the_same_host():
    from hotpass.bench.samples.maker import Maker
    from hotpass.profiles import load_profile
    from hotpass.refine.pipeline import read_source

    maker = Maker(random.Random(7), "generic")
    layout = maker.layout(3)
    maker.fill(layout, 6000, 0.3)
    raw = [cells[sheet.fields.index("website")] for group in layout.values()
           for sheet in group if "website" in sheet.fields for _, cells in sheet.rows]
    data = REPO / "data"
    for path in sorted(data.iterdir()):
        if path.suffix.lower() in (".xlsx", ".csv"):
            for source in read_source(path, data, load_profile("generic")).frames:
                if "website" in source.frame:
                    raw.extend(source.frame["website"].dropna().tolist())
    urls = []
    for cell in raw:
        text = " ".join(str(cell).split()).lower()
        urls.append(text if "://" in text else "http://" + text)
    assert len(urls) > 5000
    assert _assert_same(urls) > 0.9 * len(urls)


def test_clean_website_keeps_its_rules_on_both_paths():
    assert clean_website("WWW.Acme.co.za/contact") == (["https://acme.co.za"], [])
    assert clean_website("http://user@acme.co.za:8080/x") == (["https://acme.co.za"], [])
    assert clean_website("https://[::1]/") == ([], [("website.invalid", "https://[::1]/")])
    assert clean_website("info@acme.co.za") == ([], [("website.invalid", "info@acme.co.za")])
