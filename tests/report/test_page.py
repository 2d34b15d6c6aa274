"""The report page: self-contained, every chart drawn in a real browser (Debian's headless
Chromium), the PNG files equal to what the page embeds."""

import base64
import json
import os
import re
from html.parser import HTMLParser

import pytest

from tests.report.conftest import CHART_IDS, run_chromium

# Added to a copy of the page only (the report itself has no script): after load, each
# <img> is drawn into a canvas and its pixels counted.
CHECK_SCRIPT = """<script>
window.addEventListener('load', () => {
  const out = [];
  for (const img of document.images) {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    let ink = 0; const colours = new Set();
    if (img.naturalWidth) {
      const g = c.getContext('2d'); g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230) ink++;
        if (i % 44 == 0) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
    }
    out.push({chart: img.dataset.chart, complete: img.complete, width: img.naturalWidth,
              height: img.naturalHeight, ink: ink / ((c.width * c.height) || 1),
              colours: colours.size, shown: img.getBoundingClientRect().width});
  }
  const pre = document.createElement('pre'); pre.id = 'render-check';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(text):
    p = Tags()
    p.feed(text)
    return p.tags


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_page_needs_nothing_but_itself(built):
    page, folder = built
    text = read(page)
    found = tags(text)
    names = {t for t, _ in found}
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.I)
    assert "@import" not in text and "url(" not in text
    images = [a for t, a in found if t == "img"]
    assert [a["data-chart"] for a in images] == list(CHART_IDS)
    for a in images:
        assert a["src"].startswith("data:image/png;base64,"), a["data-chart"]
        embedded = base64.b64decode(a["src"].split(",", 1)[1])
        with open(os.path.join(folder, a["data-chart"] + ".png"), "rb") as f:
            assert f.read() == embedded, f"{a['data-chart']}.png differs from the page's"
        width, height = png_size(embedded)
        assert width >= 600 and height >= 300
    assert sorted(n for n in os.listdir(folder) if n.endswith(".png")) == \
        sorted(f"{c}.png" for c in CHART_IDS)
    assert 'id="notes"' not in text, "a chart of the sample world was not drawn"


def render_check(page, tmp_path):
    """Open a copy of `page` (plus CHECK_SCRIPT) in headless Chromium: {chart: result}."""
    copy = tmp_path / "check.html"
    copy.write_text(read(page).replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    dom = run_chromium(copy.as_uri(), tmp_path / "profile", "--virtual-time-budget=10000",
                       "--dump-dom")
    m = re.search(r'<pre id="render-check">(.*?)</pre>', dom, re.S)
    assert m, f"the check did not run: {dom[-1000:]}"
    import html
    return {r["chart"]: r for r in json.loads(html.unescape(m.group(1)))}


@pytest.mark.browser
def test_every_chart_draws_in_headless_chromium(built, tmp_path):
    page, folder = built
    results = render_check(page, tmp_path)
    assert list(results) == list(CHART_IDS)
    for chart, r in results.items():
        with open(os.path.join(folder, chart + ".png"), "rb") as f:
            width, height = png_size(f.read())
        assert r["complete"] and (r["width"], r["height"]) == (width, height), r
        assert r["shown"] > 300, f"{chart} is laid out {r['shown']} px wide"
        # a drawn chart: axes, text and marks in many colours, not a blank or flat image
        assert r["ink"] > 0.01 and r["colours"] > 50, r


@pytest.mark.browser
def test_the_browser_check_catches_a_chart_that_does_not_draw(built, tmp_path):
    """The check above can fail: a chart whose image data is broken is caught."""
    page, _ = built
    text = read(page)
    start = text.index("base64,", text.index('<img class="chart" data-chart="funnel"')) + 7
    broken = tmp_path / "broken.html"
    broken.write_text(text[:start] + "AAAA" + text[start + 4:], encoding="utf-8")
    results = render_check(str(broken), tmp_path)
    assert results["funnel"]["width"] == 0
    assert results["sales-by-region"]["width"] > 0


@pytest.mark.browser
def test_a_screenshot_of_the_page_is_not_blank(built, tmp_path):
    page, _ = built
    shot = tmp_path / "page.png"
    run_chromium(f"file://{page}", tmp_path / "profile", f"--screenshot={shot}",
                 "--window-size=1000,1400", "--hide-scrollbars")
    from PIL import Image
    with Image.open(shot) as im:
        assert im.size == (1000, 1400)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours and len(colours) > 100
