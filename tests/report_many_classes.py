#!/usr/bin/env python3
"""clcam report with many classes: the confusion matrix gives way to the most confused pairs.

  report_many_classes.py CLCAM

Writes a results fixture with 100 classes (tests/make_results_fixture.py) and one with 10, runs
`clcam report` on both and reads index.html: with 100 classes there is no confusion matrix but a
table of the most confused (true, predicted) pairs whose counts are the results file's, sorted
by count (ties by true, then predicted class), and the per-class table is sortable; with 10
classes the matrix is there. Exit 0 pass, 1 fail, 77 (SKIP) without h5py and numpy.
"""
import html.parser
import os
import re
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"SKIP report_many_classes: {e} (apt-get install python3-h5py python3-numpy)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report_chromium as rc  # noqa: E402  (find_chromium, dump_dom)


class Tables(html.parser.HTMLParser):
    """Each table's id, class and rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.cur = self.tables.setdefault(a.get("id", ""), {"class": a.get("class", ""), "rows": []})
        elif tag == "tr" and hasattr(self, "cur"):
            self.cur["rows"].append([])
        elif tag in ("td", "th") and hasattr(self, "cur"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.cur["rows"][-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def report(clcam, tmp, name, classes):
    subprocess.run([sys.executable, os.path.join(HERE, "make_results_fixture.py"), "--out",
                    f"{tmp}/{name}", "--n", "3000", "--classes", str(classes), "--seed", "3"],
                   check=True, capture_output=True)
    subprocess.run([clcam, "report", f"{tmp}/{name}/results.h5", "--out", f"{tmp}/{name}/report"],
                   check=True, capture_output=True)
    p = Tables()
    with open(f"{tmp}/{name}/report/index.html") as f:
        p.feed(f.read())
    with h5py.File(f"{tmp}/{name}/results.h5", "r") as f:
        label, pred = np.asarray(f["label"]), np.asarray(f["pred"])
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["class_names"]]
    return p.tables, label, pred, names


def check_sort(chromium, folder):
    """A click on the per-class table's accuracy heading, in headless Chromium, must order the
    rows by accuracy; a second click reverses them."""
    out = []
    with open(f"{folder}/index.html") as f:
        page = f.read()
    probe = ("<script>window.addEventListener('load', function () {\n"
             "  var th = document.querySelectorAll('#per-class th')[3], seen = [];\n"
             "  var col = function () { return Array.prototype.map.call(\n"
             "    document.querySelectorAll('#per-class tr'), function (r) { return r.cells[3].dataset.v; })\n"
             "    .slice(1).join(','); };\n"
             "  th.click(); seen.push(col()); th.click(); seen.push(col());\n"
             "  document.body.dataset.sortUp = seen[0]; document.body.dataset.sortDown = seen[1];\n"
             "});</script>\n")
    with open(f"{folder}/sorted.html", "w") as f:
        f.write(page.replace("</body>", probe + "</body>"))
    code, dom, err = rc.dump_dom(chromium, f"{folder}/sorted.html")
    up = re.search(r'data-sort-up="([^"]*)"', dom)
    down = re.search(r'data-sort-down="([^"]*)"', dom)
    if code != 0 or not up or not down:
        return [f"chromium exited {code} without the sorted orders: {err.strip()[-300:]}"]
    a = [float(v) for v in up.group(1).split(",")]
    b = [float(v) for v in down.group(1).split(",")]
    print(f"== Chromium: accuracy column after one click {a[:4]}..., after two {b[:4]}...")
    if a != sorted(a) or b != sorted(a, reverse=True) or len(a) != 100:
        out.append("a click on the accuracy heading does not sort the per-class table")
    return out


def main():
    clcam = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tables, label, pred, names = report(clcam, tmp, "many", 100)
        if "confusion" in tables:
            failures.append("100 classes: the confusion matrix is still there")
        if "sortable" not in tables.get("per-class", {}).get("class", ""):
            failures.append("the per-class table is not sortable")
        rows = tables.get("confused", {}).get("rows", [])[1:]
        cm = np.zeros((100, 100), np.int64)
        np.add.at(cm, (label, pred), 1)
        np.fill_diagonal(cm, 0)
        order = sorted(((-cm[t, c], t, c) for t in range(100) for c in range(100) if cm[t, c]))[:25]
        want = [[names[t], names[c], str(-v)] for v, t, c in order]
        got = [r[:3] for r in rows]
        print(f"== 100 classes: {len(got)} confused pairs shown, the first {got[:3]}")
        if got != want:
            failures.append(f"confused pairs {got[:5]}... are not the file's {want[:5]}...")
        tables, *_ = report(clcam, tmp, "few", 10)
        if "confusion" not in tables or "confused" in tables:
            failures.append("10 classes: expected the confusion matrix, not the pairs")
        chromium = rc.find_chromium()
        if chromium:
            failures += check_sort(chromium, f"{tmp}/many/report")
    for f in failures:
        print("FAIL:", f)
    if not failures and not chromium:
        print("SKIP report_many_classes (the sorting part): chromium is not installed "
              "(apt-get install chromium); the rest passed")
        return 77
    print("PASS" if not failures else f"FAILED: {len(failures)} checks")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
