"""`pmpath guide`: both formats hold every piece of the career path, cite sources,
escape what they must, stay standalone and come out byte-for-byte the same."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmpath.guide import FORMATS, render
from pmpath.guide.html import render_html
from pmpath.guide.markdown import render_markdown
from pmpath.guide.svg import ladder_svg
from pmpath.model import load_model
from pmpath.model.knowledge import Knowledge

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@pytest.fixture(scope="module")
def model():
    model, problems = load_model()
    assert model is not None, problems
    return model


@pytest.fixture(scope="module")
def knowledge(model) -> Knowledge:
    return model.knowledge


@pytest.fixture(scope="module")
def guides(model) -> dict[str, str]:
    return {fmt: render(model.knowledge, fmt, version=model.knowledge_version) for fmt in FORMATS}


class _Text(HTMLParser):
    """The visible text of an HTML document, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


class _Balance(HTMLParser):
    """Checks that every element is closed, in order; collects ids and link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def _attrs(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)
            if name in ("href", "src", "xlink:href"):
                self.hrefs.append(value or "")

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"line {self.getpos()[0]}: end tag for void element <{tag}>")
        elif not self.stack:
            self.errors.append(f"line {self.getpos()[0]}: </{tag}> closes nothing")
        elif self.stack[-1][0] != tag:
            open_tag, line = self.stack[-1]
            self.errors.append(
                f"line {self.getpos()[0]}: </{tag}> closes <{open_tag}> from line {line}"
            )
        else:
            self.stack.pop()


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def plain_markdown(markdown: str) -> str:
    """Markdown with backslash escapes undone and whitespace normalised."""
    return " ".join(re.sub(r"\\(.)", r"\1", markdown).split())


def words(text: str) -> str:
    return " ".join(str(text).split())


@pytest.fixture(scope="module")
def texts(guides) -> dict[str, str]:
    """What a reader sees, per format."""
    return {"markdown": plain_markdown(guides["markdown"]), "html": visible_text(guides["html"])}


def expected_items(k: Knowledge) -> list[tuple[str, str]]:
    """(what, text) pairs that must appear in a reader's view of the guide."""
    items: list[tuple[str, str]] = []
    for lv in k.levels:
        items += [("level title", lv.title), ("level id", lv.id), ("summary", lv.summary)]
        items.append(("Kwan label", f"Kwan {lv.kwan_level} · {lv.kwan_name}"))
        items += [("responsibility", r["text"]) for r in lv.responsibilities]
        items += [("to next", r["text"]) for r in lv.to_next]
        for req in lv.requirements:
            items += [("requirement id", req.id), ("requirement", req.description)]
    for n, entry in k.kwan.items():
        items += [("Kwan level", f"{n}: {entry['name']}"), ("Kwan focus", entry["focus"])]
    for wid, w in k.work_types.items():
        items += [("work type", w["title"]), ("work id", wid), ("work", w["description"])]
    for sid, s in k.specializations.items():
        items += [("specialization", s["title"]), ("specialization id", sid)]
        items += [("focus", s["focus"])] + [("metric", m) for m in s["metrics"]]
        items += [("signal", sig) for sig in s["signals"]]
    for shid, sh in k.shapes.items():
        items += [("shape", sh["title"]), ("shape id", shid), ("shape", sh["description"])]
    for sk in k.skills:
        items += [("skill", sk["title"]), ("skill id", sk["id"]), ("skill", sk["description"])]
    for p in k.problems:
        items += [("problem", p["title"]), ("problem id", p["id"]), ("problem", p["description"])]
        items.append(("advice", p["advice"]))
    for pid, path in k.entry_paths.items():
        items += [("path", path["title"]), ("path id", pid), ("path", path["description"])]
        items.append(("needs", path["needs"]))
    for d in k.senior_differentiators:
        items += [("differentiator", d["title"]), ("differentiator id", d["id"])]
        items.append(("differentiator", d["description"]))
        for part in d.get("parts", ()):
            items += [("strategy part", part["title"]), ("strategy part", part["description"])]
    for s in k.leadership_shifts:
        items += [("shift from", s["from"]), ("shift to", s["to"]), ("shift id", s["id"])]
        items.append(("shift", s["description"]))
    for tid, t in k.thresholds.items():
        items += [("threshold id", tid), ("rationale", t["rationale"])]
    for step in k.steps.values():
        items += [("step title", step.title), ("step id", step.id)]
        items.append(("step", step.description))
    for sid, s in k.sources.items():
        items += [("source id", sid), ("source title", s["title"])]
        items += [("author", a) for a in s["authors"]]
    return [(what, words(text)) for what, text in items]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_guide_holds_every_piece_of_the_career_path(knowledge, texts, fmt):
    text = texts[fmt]
    missing = [f"{what}: {item!r}" for what, item in expected_items(knowledge) if item not in text]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("fmt", FORMATS)
def test_requirements_show_their_thresholds_filled_in(knowledge, guides, texts, fmt):
    assert not re.search(r"\{[a-z0-9_]+\}", texts[fmt])
    by_id = knowledge.thresholds
    assert "At least 2 years in product roles, or 3 years of work" in texts[fmt]
    assert f"At least {by_id['vp_min_product_years']['value']} years" in texts[fmt]
    for tid, t in by_id.items():
        value = t["value"]
        shown = str(int(value)) if float(value).is_integer() else str(value)
        assert re.search(
            rf"{re.escape(tid)}\W+{re.escape(shown)} {re.escape(t['unit'])}", texts[fmt]
        )


@pytest.mark.parametrize("fmt", FORMATS)
def test_entry_steps_appear_in_their_order(knowledge, texts, fmt):
    text = texts[fmt]
    for pid, path in knowledge.entry_paths.items():
        start = text.index(words(path["description"]))
        positions = []
        for st in path["steps"]:
            step = knowledge.steps[st["step"]]
            positions.append(text.index(words(step.description), start))
        assert positions == sorted(positions), pid
    assert len(knowledge.entry_paths["external"]["steps"]) == 7
    assert len(knowledge.entry_paths["internal"]["steps"]) == 4


def test_every_item_in_the_markdown_cites_its_source_with_a_link(knowledge, guides):
    markdown = guides["markdown"]
    lines = markdown.splitlines()

    def line_with(anchor: str) -> str:
        found = [ln for ln in lines if f'<a id="{anchor}"></a>' in ln]
        assert len(found) == 1, anchor
        return found[0]

    for step in knowledge.steps.values():
        assert f"(#source-{step.source})" in line_with(f"step-{step.id}")
    for req in knowledge.requirements.values():
        assert f"(#source-{req.source})" in line_with(f"req-{req.id}")
    for tid, t in knowledge.thresholds.items():
        assert f"(#source-{t['source']})" in line_with(f"threshold-{tid}")
    for sk in knowledge.skills:
        assert f"(#source-{sk['source']})" in line_with(f"skill-{sk['id']}")
    for p in knowledge.problems:
        assert f"(#source-{p['source']})" in line_with(f"problem-{p['id']}")
    for sid in knowledge.sources:
        line_with(f"source-{sid}")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', markdown))
    targets = set(re.findall(r"\]\(#([^)]+)\)", markdown))
    sections = {"ladder", "kwan", "rungs", "ways-in", "senior", "leader", "specializations"}
    sections |= {"skills", "problems", "thresholds", "catalogue", "sources"}
    assert sections <= anchors
    assert targets <= anchors, targets - anchors
    assert {f"source-{s}" for s in knowledge.sources} <= targets


def test_every_item_in_the_html_cites_its_source_with_a_link(knowledge, guides):
    html = guides["html"]
    lines = html.splitlines()

    def element(ident: str) -> str:
        found = [ln for ln in lines if f'id="{ident}"' in ln]
        assert len(found) == 1, ident
        return found[0]

    for step in knowledge.steps.values():
        assert f'href="#source-{step.source}"' in element(f"step-{step.id}")
    for req in knowledge.requirements.values():
        assert f'href="#source-{req.source}"' in element(f"req-{req.id}")
    for sk in knowledge.skills:
        assert f'href="#source-{sk["source"]}"' in element(f"skill-{sk['id']}")
    for p in knowledge.problems:
        assert f'href="#source-{p["source"]}"' in element(f"problem-{p['id']}")
    for s in knowledge.leadership_shifts:
        assert f'href="#source-{s["source"]}"' in element(f"shift-{s['id']}")


def test_the_html_is_well_formed_with_unique_ids_and_no_dangling_links(guides):
    parser = _Balance()
    parser.feed(guides["html"])
    parser.close()
    assert not parser.errors, "\n".join(parser.errors[:10])
    assert not parser.stack, f"never closed: {parser.stack}"
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    internal = [h[1:] for h in parser.hrefs if h.startswith("#")]
    assert len(internal) == len(parser.hrefs), "every link points inside the document"
    assert set(internal) <= set(parser.ids), set(internal) - set(parser.ids)
    assert parser.tags[:2] == ["html", "head"]
    assert "script" not in parser.tags and "link" not in parser.tags


def test_the_html_is_standalone(guides):
    html = guides["html"]
    assert html.startswith("<!DOCTYPE html>\n")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)""", html, re.I)
    assert not re.search(r"<\s*(?:script|link|iframe|img|object|embed)\b", html, re.I)
    assert not re.search(r"@import|url\(", html, re.I)
    assert html.count("<style>") == 1
    assert '<meta charset="utf-8">' in html


def test_the_ladder_is_an_inline_svg_with_every_rung_and_kwan_band(knowledge, guides):
    html = guides["html"]
    assert html.count("<svg") == 1
    svg_text = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    assert svg_text == ladder_svg(knowledge)
    svg = ET.fromstring(svg_text)  # well-formed XML
    assert svg.tag == f"{SVG}svg"
    assert svg.get("viewBox") and svg.get("role") == "img"
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    for lv in knowledge.levels:
        assert lv.title in labels
        assert any(label.startswith(f"{lv.id} · ") for label in labels)
    kwan_numbers = sorted({lv.kwan_level for lv in knowledge.levels})
    assert [f"Kwan {n}" for n in kwan_numbers] == [x for x in labels if re.match(r"Kwan \d", x)]
    for n in kwan_numbers:
        assert any(label.startswith(knowledge.kwan[n]["name"]) for label in labels)
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == [f"#level-{lv.id}" for lv in knowledge.levels]
    bands = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "kwan-band"]
    assert len(bands) == len(kwan_numbers)
    # higher rungs are drawn higher up
    ys = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "rung":
            ys["".join(g.find(f"{SVG}text").itertext())] = float(g.find(f"{SVG}rect").get("y"))
    order = [ys[lv.title] for lv in knowledge.levels]
    assert order == sorted(order, reverse=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(model, guides, fmt):
    again, problems = load_model()
    assert again is not None, problems
    assert render(again.knowledge, fmt, version=again.knowledge_version) == guides[fmt]
    assert render(model.knowledge, fmt, version=model.knowledge_version) == guides[fmt]


def test_renderers_are_plain_functions_of_the_knowledge(knowledge):
    assert render_markdown(knowledge) == render(knowledge, "markdown")
    assert render_html(knowledge) == render(knowledge, "html")
    assert "knowledge version" not in render_markdown(knowledge)
    with pytest.raises(ValueError, match="unknown guide format 'pdf'"):
        render(knowledge, "pdf")


def hostile_knowledge(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge with markup in titles and descriptions."""
    dst = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", dst, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    steps = dst / "steps.yaml"
    text = steps.read_text(encoding="utf-8")
    old = "    title: Research the role\n"
    assert text.count(old) == 1
    new = "    title: \"Research <script>alert('x')</script> & *the* [role](http://evil) | `x`\"\n"
    steps.write_text(text.replace(old, new), encoding="utf-8")
    levels = dst / "levels.yaml"
    text = levels.read_text(encoding="utf-8")
    old = "      The full product job at a small scale"
    assert text.count(old) == 1
    levels.write_text(
        text.replace(old, "      # Not a heading <b>bold</b> &amp; the"), encoding="utf-8"
    )
    return dst


def test_markup_in_knowledge_is_escaped_in_both_formats(tmp_path):
    model, problems = load_model(hostile_knowledge(tmp_path))
    assert model is not None, problems
    html = render_html(model.knowledge)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; *the*" in html
    assert "http://evil" in html and 'href="http://evil"' not in html
    parser = _Balance()
    parser.feed(html)
    assert not parser.errors and not parser.stack
    assert "Research <script>alert('x')</script> & *the* [role](http://evil)" in visible_text(html)
    markdown = render_markdown(model.knowledge)
    assert r"Research \<script\>alert('x')\</script\> & \*the\* \[role\](http://evil) \| \`x\`" in (
        markdown
    )
    assert "\n# Not a heading" not in markdown
    assert r"\# Not a heading \<b\>bold\</b\> &amp;amp; the" in markdown


# -- the command -------------------------------------------------------------------


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 keeps stderr apart already
        return CliRunner()


def test_guide_prints_markdown_by_default(guides):
    from pmpath.cli.main import cli

    result = runner().invoke(cli, ["guide"])
    assert result.exit_code == 0, result.output
    assert result.stdout == guides["markdown"]


def test_guide_writes_html_to_a_file_and_says_so(guides, tmp_path):
    from pmpath.cli.main import cli

    out = tmp_path / "guide.html"
    result = runner().invoke(cli, ["guide", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert out.read_bytes() == guides["html"].encode("utf-8")
    assert result.stderr.startswith(f"wrote {out} (")


def test_guide_picks_the_format_from_the_file_extension(guides, tmp_path):
    from pmpath.cli.main import cli

    for name, fmt in (("g.html", "html"), ("g.HTM", "html"), ("g.md", "markdown")):
        result = runner().invoke(cli, ["guide", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).read_text(encoding="utf-8") == guides[fmt]
    result = runner().invoke(cli, ["guide", "--format", "markdown", "-o", str(tmp_path / "x.html")])
    assert (tmp_path / "x.html").read_text(encoding="utf-8") == guides["markdown"]


def test_guide_says_clearly_when_it_cannot_write_the_file(tmp_path):
    from pmpath.cli.main import cli

    target = tmp_path / "no-such-dir" / "guide.html"
    result = runner().invoke(cli, ["guide", "-o", str(target)])
    assert result.exit_code == 1
    folder = target.parent
    assert (
        result.stderr
        == f"error: {target}: cannot write the guide: folder {folder} does not exist\n"
    )
    assert "Traceback" not in result.output


def test_guide_refuses_a_directory_or_an_unknown_format(tmp_path):
    from pmpath.cli.main import cli

    result = runner().invoke(cli, ["guide", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.stderr
    result = runner().invoke(cli, ["guide", "--format", "pdf"])
    assert result.exit_code == 2 and "'pdf' is not one of" in result.stderr


def test_guide_of_broken_knowledge_lists_the_problems(tmp_path):
    from pmpath.cli.main import cli

    dst = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", dst, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    levels = dst / "levels.yaml"
    text = levels.read_text(encoding="utf-8")
    levels.write_text(text.replace("    kwan_level: 2\n", "    kwan_level: high\n"), "utf-8")
    line = text.splitlines().index("    kwan_level: 2") + 1
    result = runner().invoke(cli, ["guide", "--knowledge", str(dst)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{levels}:{line}: K001: levels.3.kwan_level: must be a whole number, got text 'high'",
        "error: knowledge or rules are invalid (1 problem)",
    ]


def test_guide_as_a_real_subprocess_matches_the_library(guides, tmp_path):
    out = tmp_path / "guide.html"
    cmd = [sys.executable, "-m", "pmpath.cli.main", "guide", "--format", "html", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == guides["html"].encode("utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pmpath.cli.main", "guide"],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == guides["markdown"].encode("utf-8")
    assert proc.stderr == b""
