"""Opens a GeoPackage written by `pcnmap report --format gpkg` in QGIS itself (its Python API, no window)
and checks that every layer opens valid, in EPSG:4326, styled from its `layer_styles` row: the
renderer QGIS builds from the stored QML, its classes' colours, and a picture of each styled layer
rendered to PNG whose pixels carry those colours. Run it with `make qgischeck` (needs Debian's qgis
and python3-qgis, which make test does not install: the check is for a change to gis/style.go).

    QT_QPA_PLATFORM=offscreen python3 tools/qgischeck/check.py FILE.gpkg OUTDIR
"""
import os
import sqlite3
import sys

from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings, QgsRectangle,
                       QgsVectorLayer)
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QColor


def fail(msg):
    print("qgischeck: " + msg, file=sys.stderr)
    sys.exit(1)


def over_white(c):
    """The #rrggbb that colour c (with its alpha) shows over the white background."""
    a = c.alpha() / 255.0
    mix = lambda v: int(round(a * v + (1 - a) * 255))
    return QColor(mix(c.red()), mix(c.green()), mix(c.blue())).name()


def paints(symbol):
    """The colours a fill symbol paints over white: its fill unless transparent, its outline unless none
    or hairline (a hairline is all antialiased edge, no pixel of its own colour)."""
    out = []
    for i in range(symbol.symbolLayerCount()):
        sl = symbol.symbolLayer(i)
        if sl.color().alpha() > 0 and sl.brushStyle() != Qt.NoBrush:
            out.append(over_white(sl.color()))
        if sl.strokeStyle() != Qt.NoPen and sl.strokeColor().alpha() > 0 and sl.strokeWidth() >= 0.5:
            out.append(over_white(sl.strokeColor()))
    return out


def symbol_colours(renderer):
    """The renderer's type and, per class, the colours its symbol paints."""
    kind = renderer.type()
    # Hold each list while reading it: a symbol belongs to its range or category, which the list owns.
    if kind == "graduatedSymbol":
        items = renderer.ranges()
        return kind, [paints(r.symbol()) for r in items]
    if kind == "categorizedSymbol":
        items = renderer.categories()
        return kind, [paints(c.symbol()) for c in items]
    if kind == "singleSymbol":
        return kind, [paints(renderer.symbol())]
    fail("renderer of an unexpected type %r" % kind)


def near(a, b):
    """Two #rrggbb colours within 2 of each other in every channel (QGIS rounds its blending)."""
    return all(abs(int(a[i:i + 2], 16) - int(b[i:i + 2], 16)) <= 2 for i in (1, 3, 5))


def render(layer, path):
    """Renders the layer alone at 800 px wide and returns the set of #rrggbb colours in the picture."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    extent = QgsRectangle(layer.extent())
    extent.scale(1.05)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(800, 800))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(path)
    seen = set()
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            seen.add(QColor(image.pixel(x, y)).name())
    return seen


def main():
    if len(sys.argv) != 3:
        fail("usage: check.py FILE.gpkg OUTDIR")
    gpkg, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    db = sqlite3.connect(gpkg)
    styled = [r[0] for r in db.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault ORDER BY f_table_name")]
    if not styled:
        fail("%s: no default style in layer_styles" % gpkg)
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    for name in styled:
        layer = QgsVectorLayer("%s|layername=%s" % (gpkg, name), name, "ogr")
        if not layer.isValid():
            fail("%s: QGIS cannot open layer %s" % (gpkg, name))
        if layer.crs().authid() != "EPSG:4326":
            fail("%s: layer %s is in %s, want EPSG:4326" % (gpkg, name, layer.crs().authid()))
        # QGIS applies a layer's default style from layer_styles when it opens the layer; loading it
        # again by hand says whether it came from there.
        message, ok = layer.loadDefaultStyle()
        if not ok:
            fail("%s: layer %s: QGIS did not load its default style: %s" % (gpkg, name, message))
        kind, colours = symbol_colours(layer.renderer())
        fills = {c for cls in colours for c in cls if c != "#ffffff"}
        seen = render(layer, os.path.join(out, name + ".png"))
        drawn = {c for c in fills if any(near(c, p) for p in seen)}
        if not drawn:
            fail("%s: layer %s: none of its style's colours %s is in the rendered picture" % (gpkg, name, sorted(fills)))
        print("%s: %d features, %s renderer with %d classes %s; %d of its colours drawn (%s)" % (
            name, layer.featureCount(), kind, len(colours), " ".join("+".join(c) for c in colours), len(drawn),
            os.path.join(out, name + ".png")))
    # QGIS tears down its providers on exit and crashes if a layer outlives them: drop the last one first.
    del layer
    app.exitQgis()


if __name__ == "__main__":
    main()
