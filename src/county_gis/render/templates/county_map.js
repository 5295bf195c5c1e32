/* county_gis map runtime (part of county_gis, MIT licence).
 *
 * Builds the layers, legend, progress panel, search box and measure tool of a county_gis
 * map from JSON data blocks (<script type="application/json">). Every value from the data
 * reaches the page through textContent, never innerHTML; the one Leaflet API that takes
 * HTML (layer names in L.control.layers) gets the value escaped by CountyGis.esc.
 *
 * Geometry arrives as integer deltas of coordinates scaled by `scale`, in one flat array
 * with GeoArrow-style offsets (rings -> parts -> features).
 *
 * Measure tool: geodesic length and area on the GRS80 ellipsoid (CGCS2000), computed with
 * GeographicLib (geographiclib-geodesic, Karney 2013), the method pyproj.Geod uses.
 */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var MU_PER_M2 = 15 / 10000;
  var CG = (window.CountyGis = { layers: [], stats: {} });

  CG.timing = { runtimeLoaded: performance.now() };
  CG.data = function (id) {
    var t0 = performance.now();
    var value = JSON.parse(document.getElementById(id).textContent);
    CG.timing.parse = (CG.timing.parse || 0) + performance.now() - t0;
    return value;
  };

  CG.esc = function (value) {
    var div = document.createElement("div");
    div.textContent = value === null || value === undefined ? "" : String(value);
    return div.innerHTML;
  };

  function el(tag, className, text, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value === "number") {
      return value.toLocaleString("zh-CN", { maximumFractionDigits: digits === undefined ? 2 : digits });
    }
    return String(value);
  }

  /* ---- geometry ------------------------------------------------------------------ */

  /* zigzag varints (LEB128) in base64 -> numbers; values stay below 2^53 */
  function varints(text) {
    var bin = atob(text), n = bin.length, out = new Float64Array(n), count = 0;
    var value = 0, scale = 1;
    for (var i = 0; i < n; i++) {
      var b = bin.charCodeAt(i);
      value += (b & 127) * scale;
      if (b & 128) {
        scale *= 128;
      } else {
        out[count++] = value % 2 === 1 ? -(value + 1) / 2 : value / 2;
        value = 0;
        scale = 1;
      }
    }
    return out.subarray(0, count);
  }
  CG.varints = varints;

  /* Coordinates are decoded up front into typed arrays; the LatLng arrays of a feature are
     built only when the feature is drawn (large lazy layers never build most of them). */
  function decode(group) {
    var c = varints(group.coords), scale = group.scale, n = c.length / 2;
    var xs = new Float64Array(n), ys = new Float64Array(n), x = 0, y = 0;
    for (var i = 0; i < n; i++) {
      x += c[2 * i];
      y += c[2 * i + 1];
      xs[i] = x / scale;
      ys[i] = y / scale;
    }
    return { dim: group.dim, xs: xs, ys: ys, geoms: group.geoms, parts: group.parts,
             rings: group.rings };
  }

  function shapeOf(dec, g) {
    var xs = dec.xs, ys = dec.ys, LatLng = L.LatLng, geoms = dec.geoms, shape = [], p, r;
    function path(a, b) {
      // LatLng objects up front: Leaflet keeps them as they are instead of converting arrays
      var out = new Array(b - a);
      for (var k = a; k < b; k++) out[k - a] = new LatLng(ys[k], xs[k]);
      return out;
    }
    if (dec.dim === 0) return path(geoms[g], geoms[g + 1]);
    if (dec.dim === 1) {
      for (p = geoms[g]; p < geoms[g + 1]; p++) shape.push(path(dec.parts[p], dec.parts[p + 1]));
      return shape;
    }
    for (p = geoms[g]; p < geoms[g + 1]; p++) {
      var rings = [];
      for (r = dec.parts[p]; r < dec.parts[p + 1]; r++) {
        rings.push(path(dec.rings[r], dec.rings[r + 1]));
      }
      shape.push(rings);
    }
    return shape;
  }

  function decodeLayer(data) {
    var geometry = new Array(data.count);
    data.groups.forEach(function (group) {
      var dec = decode(group);
      var coarse = group.coarse ? decode(group.coarse) : null;
      for (var k = 0; k < group.index.length; k++) {
        geometry[group.index[k]] = { dim: group.dim, dec: dec, coarse: coarse, g: k };
      }
    });
    return geometry;
  }

  /* ---- styles -------------------------------------------------------------------- */

  /* The style vocabulary comes from the page (county_gis.render._style, shared with the
     printed map); these defaults only serve pages made without it. */
  var STATUS_STYLE = {
    planned: { fillOpacity: 0.06, dashArray: "5 4", lineDash: "2 6", lineWeight: 2.5, pointFill: 0.15 },
    under_construction: { fillOpacity: 0.3, dashArray: null, lineDash: "9 5", lineWeight: 3.5, pointFill: 0.55 },
    completed: { fillOpacity: 0.7, dashArray: null, lineDash: null, lineWeight: 4.5, pointFill: 1.0 }
  };
  var POINT = { radiusCounty: 3.5, radiusDetail: 6, stroke: "#333333", weight: 1 };
  var POINT_ZOOM = 12;
  CG.STATUS_STYLE = STATUS_STYLE;
  CG.applyStyle = function (style) {
    if (!style) return;
    Object.keys(style.status || {}).forEach(function (k) { STATUS_STYLE[k] = style.status[k]; });
    if (style.point) POINT = style.point;
    if (style.pointZoom) POINT_ZOOM = style.pointZoom;
    CG.POINT = POINT;
  };
  function pointRadius() {
    return CG.map && CG.map.getZoom() >= POINT_ZOOM ? POINT.radiusDetail : POINT.radiusCounty;
  }
  CG.small = function () {  /* a phone or a small window: panels start collapsed */
    return window.matchMedia("(max-width: 640px), (max-height: 520px)").matches;
  };

  function featureStyle(dim, colour, status, renderer) {
    var s = STATUS_STYLE[status] || STATUS_STYLE.planned;
    if (dim === 2) {
      return { renderer: renderer, color: colour, weight: 1.5, opacity: 0.95, fillColor: colour,
               fillOpacity: s.fillOpacity, dashArray: s.dashArray };
    }
    if (dim === 1) {
      return { renderer: renderer, color: colour, weight: s.lineWeight, opacity: 0.95,
               dashArray: s.lineDash };
    }
    return { renderer: renderer, radius: pointRadius(), color: POINT.stroke, weight: POINT.weight,
             fillColor: colour, fillOpacity: s.pointFill, fill: true, opacity: 1 };
  }

  function makeShape(geom, style, coarse) {
    var shape = shapeOf(coarse && geom.coarse ? geom.coarse : geom.dec, geom.g);
    if (geom.dim === 2) return L.polygon(shape, style);
    if (geom.dim === 1) return L.polyline(shape, style);
    if (shape.length === 1) return L.circleMarker(shape[0], style);
    return L.featureGroup(shape.map(function (pt) { return L.circleMarker(pt, style); }));
  }

  /* ---- popups and tooltips --------------------------------------------------------- */

  function popupContent(data, i) {
    var box = el("div", "cg-popup");
    box.style.maxHeight = "320px";  /* every source attribute is shown: scroll when long */
    box.style.overflowY = "auto";
    el("div", "cg-popup-title", data.name, box);
    var table = el("table", "cg-popup-table", null, box);
    data.fields.forEach(function (field) {
      var value = data.columns[field[0]] ? data.columns[field[0]][i] : null;
      if (value === null || value === undefined || value === "") return;
      var row = el("tr", null, null, table);
      el("th", null, field[1], row);
      el("td", null, field[0] === "year" ? String(value) : fmt(value, field[0] === "length_km" ? 3 : 2), row);
    });
    return box;
  }

  function tooltipContent(data, i) {
    var names = data.columns.name;
    var text = names && names[i] !== null && names[i] !== undefined ? names[i] : data.name;
    var status = data.columns.status ? data.columns.status[i] : null;
    var box = el("div", "cg-tooltip");
    el("span", null, text, box);
    if (status) el("span", "cg-tooltip-status", " · " + status, box);
    return box;
  }

  /* ---- project layers -------------------------------------------------------------- */

  CG.projectLayer = function (map, data, options) {
    var renderer = options.renderer;
    var t0 = performance.now();
    var geometry = decodeLayer(data);
    CG.timing.decode = (CG.timing.decode || 0) + performance.now() - t0;
    var group = L.featureGroup();
    var entry = { data: data, group: group, geometry: geometry, built: {}, features: {},
                  options: options, drawn: 0 };
    entry.index = CG.layers.length;
    CG.layers.push(entry);
    var lazy = data.count > options.lazyAbove;
    entry.lazy = lazy;
    // level of detail: layers that carry coarse lines / polygons draw them all below the
    // detail zoom, and from it only the buckets in view, with their full geometry
    var hasCoarse = data.groups.some(function (g) { return !!g.coarse; });
    entry.coarse = hasCoarse && map.getZoom() < options.detailZoom;

    function buildFeature(i) {
      if (entry.features[i]) return entry.features[i];
      var geom = geometry[i];
      if (!geom) return null;
      var coarse = entry.coarse && !!geom.coarse;
      var layer = makeShape(geom, featureStyle(geom.dim, options.colour, data.status[i], renderer),
                            coarse);
      layer._cgIndex = i;
      layer._cgCoarse = coarse;
      entry.features[i] = layer;
      return layer;
    }
    entry.buildFeature = buildFeature;

    function setDetail(b) {  // give the built features of bucket b the geometry of the zoom
      for (var i = data.buckets.start[b]; i < data.buckets.end[b]; i++) {
        var layer = entry.features[i], geom = geometry[i];
        if (!layer || !geom || !geom.coarse) continue;
        var coarse = entry.coarse;
        if (layer._cgCoarse !== coarse && layer.setLatLngs) {
          layer.setLatLngs(shapeOf(coarse ? geom.coarse : geom.dec, geom.g));
          layer._cgCoarse = coarse;
        }
      }
    }

    function buildBucket(b) {
      if (entry.built[b]) return entry.built[b];
      var bucketGroup = L.featureGroup();
      for (var i = data.buckets.start[b]; i < data.buckets.end[b]; i++) {
        var layer = buildFeature(i);
        if (layer) bucketGroup.addLayer(layer);
      }
      entry.built[b] = bucketGroup;
      return bucketGroup;
    }
    entry.buildBucket = buildBucket;

    group.on("click", function (e) {
      if (CG.measuring) return;
      var source = e.propagatedFrom || e.layer;
      while (source && source._cgIndex === undefined && source._eventParents) {
        source = source._eventParents[Object.keys(source._eventParents)[0]];
      }
      if (!source || source._cgIndex === undefined) return;
      group.closeTooltip();
      CG.openPopup(map, entry, source._cgIndex, e.latlng);
    });
    group.bindTooltip(function (layer) {
      var i = layer._cgIndex;
      if (i === undefined && layer.getLayers) i = layer.getLayers()[0]._cgIndex;
      return i === undefined ? "" : tooltipContent(data, i);
    }, { sticky: true, direction: "top", className: "cg-tooltip-box" });

    var nBuckets = data.buckets.start.length, b;
    if (!lazy && !hasCoarse) {
      for (b = 0; b < nBuckets; b++) group.addLayer(buildBucket(b));
      entry.drawn = data.count;
      return group;
    }
    var aggregate = null;
    if (lazy) {
      aggregate = L.layerGroup();
      entry.aggregate = aggregate;
      var area = data.columns.area_mu;
      for (var k = 0; k < nBuckets; k++) {
        var bb = data.buckets.bbox[k], total = 0;
        if (area) for (var j = data.buckets.start[k]; j < data.buckets.end[k]; j++) total += area[j] || 0;
        var marker = L.circleMarker([(bb[1] + bb[3]) / 2, (bb[0] + bb[2]) / 2], {
          renderer: renderer, radius: Math.min(22, 4 + Math.sqrt(data.buckets.n[k])),
          color: options.colour, weight: 1, fillColor: options.colour, fillOpacity: 0.45
        });
        marker.bindTooltip((function (n, mu) {
          return function () {
            var box = el("div", "cg-tooltip");
            el("span", null, data.name, box);
            el("span", "cg-tooltip-status", " · " + fmt(n, 0) + options.texts.count +
              (area ? " · " + fmt(mu, 0) + " 亩" : "") + " " + options.texts.zoomIn, box);
            return box;
          };
        })(data.buckets.n[k], total), { sticky: true, className: "cg-tooltip-box" });
        marker.on("click", (function (box) {
          return function () { map.fitBounds([[box[1], box[0]], [box[3], box[2]]]); };
        })(bb));
        aggregate.addLayer(marker);
      }
    }
    var refresh = function () {
      if (!map.hasLayer(group)) return;
      var detail = map.getZoom() >= options.detailZoom;
      entry.coarse = hasCoarse && !detail;
      if (!detail && lazy) {
        group.eachLayer(function (l) { if (l !== aggregate) group.removeLayer(l); });
        if (!group.hasLayer(aggregate)) group.addLayer(aggregate);
        entry.drawn = 0;
        return;
      }
      if (aggregate && group.hasLayer(aggregate)) group.removeLayer(aggregate);
      var view = map.getBounds().pad(0.25), keep = [], drawn = 0;
      for (b = 0; b < nBuckets; b++) {
        var box = data.buckets.bbox[b];
        keep[b] = !detail || view.intersects([[box[1], box[0]], [box[3], box[2]]]);
        if (!keep[b] && entry.built[b] && group.hasLayer(entry.built[b])) {
          group.removeLayer(entry.built[b]);  // first drop what left the view
        }
      }
      for (b = 0; b < nBuckets; b++) {
        if (!keep[b]) continue;
        var bg = buildBucket(b);
        setDetail(b);
        if (!group.hasLayer(bg)) group.addLayer(bg);
        drawn += data.buckets.n[b];
      }
      entry.drawn = drawn;
    };
    entry.refresh = refresh;
    map.on("moveend", refresh);
    group.on("add", refresh);
    return group;
  };

  CG.openPopup = function (map, entry, i, latlng) {
    var layer = entry.buildFeature(i);
    if (!latlng) {
      latlng = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
    }
    L.popup({ maxHeight: 260, maxWidth: 360, minWidth: 200, className: "cg-popup-box",
              autoPanPaddingTopLeft: [60, 60] })
      .setLatLng(latlng)
      .setContent(popupContent(entry.data, i))
      .openOn(map);
  };

  CG.count = function () {
    var out = {};
    CG.layers.forEach(function (entry) {
      var n = 0;
      if (entry.group._map) {
        entry.group.eachLayer(function walk(l) {
          if (l._cgIndex !== undefined) n += 1;
          else if (l.eachLayer && l !== entry.aggregate) l.eachLayer(walk);
        });
      }
      out[entry.data.name] = n;
    });
    return out;
  };

  /* ---- reference layers ------------------------------------------------------------ */

  CG.outlineLayer = function (map, data, style, options) {
    var geometry = decodeLayer(data);
    var group = L.featureGroup();
    var labelKey = options.label;
    geometry.forEach(function (geom, i) {
      if (!geom) return;
      var layer = makeShape(geom, L.extend({ renderer: options.renderer, interactive: !!labelKey }, style));
      if (labelKey && data.columns[labelKey]) {
        var label = data.columns[labelKey][i];
        var note = options.note && data.columns[options.note] && data.columns[options.note][i];
        layer.bindTooltip(function () {
          var box = el("div", "cg-tooltip");
          el("span", null, label, box);
          if (note) el("span", "cg-tooltip-status", " · " + options.noteText, box);
          return box;
        }, { sticky: true, className: "cg-tooltip-box" });
      }
      group.addLayer(layer);
    });
    return group;
  };

  /* ---- base layers, scale, layer control -------------------------------------------- */

  CG.basemap = function (map, spec) {
    map.getContainer().style.background = spec.background;
    if (!spec.layers.length) return null;
    var tiles = spec.layers.map(function (t) {
      return L.tileLayer(t.url, { subdomains: t.subdomains, attribution: CG.esc(t.attribution),
                                  maxZoom: t.maxZoom });
    });
    var group = L.layerGroup(tiles).addTo(map);
    return group;
  };

  CG.layerControl = function (map, base, overlays) {
    var baseLayers = {}, over = {};
    if (base.layer) baseLayers[CG.esc(base.name)] = base.layer;
    overlays.forEach(function (o) {
      var label = "<span class=\"cg-swatch\" style=\"background:" + CG.esc(o.colour) + "\"></span>" +
        CG.esc(o.name) + (o.count !== undefined ? " <span class=\"cg-count\">(" + o.count + ")</span>" : "");
      over[label] = o.layer;
    });
    return L.control.layers(baseLayers, over, { collapsed: CG.small(), position: "topright" }).addTo(map);
  };

  CG.scale = function (map, texts) {
    var scale = L.control.scale({ imperial: false, position: "bottomleft", maxWidth: 160 });
    var words = texts || { metres: "米", kilometres: "公里" };
    scale._updateMetric = function (maxMeters) {  // 公里 / 米, as every other number says
      var meters = this._getRoundNum(maxMeters);
      var label = meters < 1000 ? meters + " " + words.metres : meters / 1000 + " " + words.kilometres;
      this._updateScale(this._mScale, label, meters / maxMeters);
    };
    return scale.addTo(map);
  };

  /* ---- rasters: embedded PNG image overlays below the project layers ---------------- */

  CG.rasterLayers = function (map, rasters) {
    if (!rasters.length) return [];
    var pane = map.createPane("cg-rasters");
    pane.style.zIndex = 350;  // above tiles (200), below the project layers (overlayPane 400)
    pane.style.pointerEvents = "none";
    return rasters.map(function (r) {
      var image = L.imageOverlay(r.url, r.bounds, { opacity: r.opacity, pane: "cg-rasters",
                                                     interactive: false, alt: r.name });
      if (r.show) image.addTo(map);
      var middle = r.stops[Math.floor(r.stops.length / 2)];
      return { name: r.name, layer: image, colour: middle ? middle[1] : "#888888" };
    });
  };

  function colourBar(stops, parent) {
    var lo = stops[0][0], hi = stops[stops.length - 1][0], span = hi - lo || 1;
    var bar = el("div", "cg-colourbar", null, parent);
    bar.style.background = "linear-gradient(to right, " + stops.map(function (s) {
      return s[1] + " " + (100 * (s[0] - lo) / span).toFixed(2) + "%";
    }).join(", ") + ")";
    var ticks = el("div", "cg-colourbar-ticks", null, parent);
    var digits = Math.abs(hi - lo) < 10 ? 2 : 0;
    el("span", null, fmt(lo, digits), ticks);
    el("span", null, fmt((lo + hi) / 2, digits), ticks);
    el("span", null, fmt(hi, digits), ticks);
    return bar;
  }

  /* ---- the whole project map ------------------------------------------------------- */

  CG.projectMap = function (map, d) {
    CG.timing.start = performance.now();
    CG.applyStyle(d.style);
    var renderer = L.canvas({ tolerance: 4, padding: 0.1 });
    CG.renderer = renderer;
    CG.map = map;
    if (d.bounds) {  // before any layer is added: projecting everything twice costs seconds
      var bb = d.bounds;
      map.fitBounds([[bb[1], bb[0]], [bb[3], bb[2]]], { animate: false, padding: [10, 10] });
    }
    var base = CG.basemap(map, d.basemap);
    var overlays = [];
    if (d.townships) {
      var t = CG.outlineLayer(map, d.townships,
        { color: "#7a7a7a", weight: 1, dashArray: "3 3", fill: true, fillOpacity: 0 },
        { renderer: renderer, label: "name", note: "approximate", noteText: d.texts.approximate });
      t.addTo(map);
      overlays.push({ name: d.townships.name, layer: t, colour: "#7a7a7a", count: d.townships.count });
      if (d.townshipLabels && d.townshipLabels.length) {
        CG.townshipLabels(map, t, d.townshipLabels, (d.style && d.style.labelZoom) || 9);
      }
    }
    if (d.boundary) {
      var b = CG.outlineLayer(map, d.boundary, { color: "#303030", weight: 2.5, fill: false },
        { renderer: renderer });
      b.addTo(map);
      overlays.push({ name: d.boundary.name, layer: b, colour: "#303030" });
    }
    d.layers.forEach(function (layer) {
      var t0 = performance.now();
      var g = CG.projectLayer(map, layer, { renderer: renderer, colour: layer.colour,
        lazyAbove: d.lazyAbove, detailZoom: d.detailZoom, texts: d.texts });
      var t1 = performance.now();
      g.addTo(map);
      CG.timing.build = (CG.timing.build || 0) + t1 - t0;
      CG.timing.add = (CG.timing.add || 0) + performance.now() - t1;
      overlays.push({ name: layer.name, layer: g, colour: layer.colour, count: layer.count });
    });
    CG.rasters = CG.rasterLayers(map, d.rasters || []);
    CG.rasters.forEach(function (r) { overlays.push(r); });
    CG.control = CG.layerControl(map, { name: d.basemap.label, layer: base }, overlays);
    var lastRadius = pointRadius();
    map.on("zoomend", function () {  // points grow from POINT_ZOOM on, small at the county view
      var r = pointRadius();
      if (r === lastRadius) return;
      lastRadius = r;
      CG.layers.forEach(function (entry) {
        Object.keys(entry.features).forEach(function (k) {
          var f = entry.features[k];
          if (f.setRadius) f.setRadius(r);
          else if (f.eachLayer) f.eachLayer(function (p) { if (p.setRadius) p.setRadius(r); });
        });
      });
    });
    CG.timing.end = performance.now();
    return overlays;
  };

  /* ---- township labels: from labelZoom on, biggest first, none on top of another ------ */

  CG.townshipLabels = function (map, townships, labels, minZoom) {
    var pane = map.createPane("cg-labels");
    pane.style.zIndex = 450;  // above the project layers, below popups
    pane.style.pointerEvents = "none";
    var markers = labels.map(function (l) {
      var span = el("span", "cg-town-label", l[0]);
      return L.marker([l[1], l[2]], { pane: "cg-labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "cg-town-label-icon", html: span, iconSize: null }) });
    });
    var group = L.layerGroup(markers);
    CG.labels = group;
    function place() {
      var show = map.getZoom() >= minZoom && map.hasLayer(townships);
      if (!show) { if (map.hasLayer(group)) map.removeLayer(group); return; }
      if (!map.hasLayer(group)) group.addTo(map);
      var taken = [];
      markers.forEach(function (m) {  // labels arrive biggest township first
        var node = m.getElement();
        if (!node) return;
        node.style.visibility = "visible";
        var r = node.firstChild.getBoundingClientRect();
        var clash = taken.some(function (t) {
          return r.left < t.right + 2 && r.right > t.left - 2 && r.top < t.bottom && r.bottom > t.top;
        });
        if (clash) node.style.visibility = "hidden";
        else taken.push(r);
      });
    }
    CG.placeLabels = place;
    map.on("zoomend overlayadd overlayremove", place);
    place();
    return group;
  };

  /* ---- the title on the page ---------------------------------------------------------- */

  CG.title = function (map, data) {
    var container = map.getContainer();
    var box = el("div", "cg-title", null, container);
    el("h1", "cg-title-text", data.title, box);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    function fit() {  // the top controls start below the title, whatever its height
      container.style.setProperty("--cg-title-h", box.offsetHeight + "px");
    }
    fit();
    window.addEventListener("resize", fit);
    CG.titleBox = box;
    return box;
  };

  function collapsible(box, head, body, collapsed, text) {
    var toggle = el("button", "cg-toggle", collapsed ? "+" : "−", head);
    toggle.type = "button";
    toggle.title = text;
    toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
    if (collapsed) box.classList.add("cg-collapsed");
    toggle.addEventListener("click", function () {
      var now = !box.classList.contains("cg-collapsed");
      box.classList.toggle("cg-collapsed", now);
      toggle.textContent = now ? "+" : "−";
      toggle.setAttribute("aria-expanded", now ? "false" : "true");
    });
    return toggle;
  }
  CG.collapsible = collapsible;

  /* ---- legend ------------------------------------------------------------------------ */

  function swatch(dim, colour, status) {
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "14");
    var s = STATUS_STYLE[status] || STATUS_STYLE.completed, shape;
    if (dim === 1) {
      shape = document.createElementNS(SVGNS, "line");
      shape.setAttribute("x1", "2"); shape.setAttribute("y1", "7");
      shape.setAttribute("x2", "26"); shape.setAttribute("y2", "7");
      shape.setAttribute("stroke-width", String(Math.min(s.lineWeight, 4)));
      if (s.lineDash) shape.setAttribute("stroke-dasharray", s.lineDash);
    } else if (dim === 0) {
      shape = document.createElementNS(SVGNS, "circle");
      shape.setAttribute("cx", "14"); shape.setAttribute("cy", "7"); shape.setAttribute("r", "5");
      shape.setAttribute("r", String(Math.max(3, POINT.radiusCounty + 1)));
      shape.setAttribute("stroke-width", String(POINT.weight));
      shape.setAttribute("fill", colour);
      shape.setAttribute("fill-opacity", String(s.pointFill));
    } else {
      shape = document.createElementNS(SVGNS, "rect");
      shape.setAttribute("x", "2"); shape.setAttribute("y", "1");
      shape.setAttribute("width", "24"); shape.setAttribute("height", "12");
      shape.setAttribute("stroke-width", "1.5");
      shape.setAttribute("fill", colour);
      shape.setAttribute("fill-opacity", String(s.fillOpacity));
      if (s.dashArray) shape.setAttribute("stroke-dasharray", s.dashArray);
    }
    shape.setAttribute("stroke", dim === 0 ? POINT.stroke : colour);
    if (dim !== 0 && dim !== 2) shape.setAttribute("fill", "none");
    svg.appendChild(shape);
    return svg;
  }

  CG.legend = function (map, data) {
    var control = L.control({ position: data.position || "bottomright" });
    control.onAdd = function () {
      var outer = L.DomUtil.create("div", "cg-panel cg-legend");
      L.DomEvent.disableClickPropagation(outer);
      L.DomEvent.disableScrollPropagation(outer);
      var head = el("div", "cg-panel-title", null, outer);
      el("span", null, data.title, head);
      var box = el("div", "cg-panel-body", null, outer);
      collapsible(outer, head, box, CG.small(), data.collapseText || "");
      el("div", "cg-legend-heading", data.kindsTitle, box);
      data.kinds.forEach(function (k) {
        var row = el("div", "cg-legend-row", null, box);
        row.appendChild(swatch(k.dim, k.colour, "completed"));
        el("span", null, k.label, row);
      });
      el("div", "cg-legend-heading", data.statusTitle, box);
      data.statuses.forEach(function (s) {
        var row = el("div", "cg-legend-row", null, box);
        var pair = el("span", "cg-legend-swatches", null, row);
        pair.appendChild(swatch(2, "#555555", s.key));
        pair.appendChild(swatch(1, "#555555", s.key));
        el("span", null, s.label, row);
      });
      (data.rasters || []).forEach(function (r, i) {
        var entry = el("div", "cg-legend-raster", null, box);
        el("div", "cg-legend-heading", r.name, entry);
        colourBar(r.stops, entry);
        var overlay = CG.rasters && CG.rasters[i];
        if (overlay) {  // the colour bar shows while its raster is on the map
          var sync = function () { entry.style.display = map.hasLayer(overlay.layer) ? "" : "none"; };
          map.on("layeradd layerremove", sync);
          sync();
        }
      });
      if (data.aggregateNote) el("div", "cg-legend-note", data.aggregateNote, box);
      return outer;
    };
    return control.addTo(map);
  };

  /* ---- progress panel ---------------------------------------------------------------- */

  var SVG = "http://www.w3.org/2000/svg";

  function svgEl(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }

  // a sparkline of % completed (line) against 序时进度 (dashed), one point per snapshot
  function sparkline(values, expected, colours, title, parent) {
    var w = 96, h = 22, pad = 2;
    var all = values.concat(expected).filter(function (v) { return v !== null; });
    var top = Math.max(100, Math.max.apply(null, all.length ? all : [100]));
    var n = values.length;
    var x = function (i) { return pad + (n > 1 ? (i * (w - 2 * pad)) / (n - 1) : (w - 2 * pad) / 2); };
    var y = function (v) { return h - pad - ((v || 0) * (h - 2 * pad)) / top; };
    var svg = svgEl("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h,
                             "class": "cg-spark", role: "img" }, parent);
    svgEl("title", {}, svg).textContent = title;
    var line = function (series, cls) {
      var pts = series.map(function (v, i) { return x(i).toFixed(1) + "," + y(v).toFixed(1); });
      svgEl("polyline", { points: pts.join(" "), "class": cls, fill: "none" }, svg);
    };
    line(expected, "cg-spark-expected");
    line(values, "cg-spark-done");
    values.forEach(function (v, i) {
      svgEl("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: i === n - 1 ? 2.4 : 1.3,
                        fill: colours[i] || "#555" }, svg);
    });
    return svg;
  }

  function trendLine(r, t, item) {
    var row = el("div", "cg-trend", null, item);
    var lamp = el("span", "cg-lamp cg-lamp-" + r.lamp, null, row);
    lamp.style.background = r.lampColour;
    lamp.title = r.lampLabel;
    el("span", "cg-lamp-label", r.lampLabel, row);
    sparkline(r.spark || [], r.sparkExpected || [], r.sparkLamps || [], t.trend, row);
    var gap = r.gap === null || r.gap === undefined ? "—" :
      (r.gap >= 0 ? t.ahead + " " : t.behind + " ") + fmt(Math.abs(r.gap), 2) + " " + t.points;
    el("div", "cg-trend-text", t.expected + " " + fmt(r.expected, 2) + "% · " + gap +
       " · " + t.added + " " + fmt(r.added) + " " + (r.unit || ""), item);
  }

  CG.progress = function (map, data) {
    var control = L.control({ position: data.position || "bottomleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "cg-panel cg-progress");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var head = el("div", "cg-panel-title", null, box);
      el("span", null, data.title, head);
      if (data.trend) {
        el("div", "cg-trend-head", data.trend.asOf + " " + data.trend.date +
           (data.trend.synthetic ? " · " + data.trend.syntheticText : ""), box);
      }
      var list = el("div", "cg-progress-list cg-panel-body", null, box);
      collapsible(box, head, list, CG.small(), data.collapseText);
      data.rows.forEach(function (r) {
        var item = el("div", "cg-progress-item", null, list);
        el("div", "cg-progress-name", r.title, item);
        if (r.noData) {  /* no layer of the target's kinds in the project: not 0 % */
          el("div", "cg-progress-text cg-progress-nodata",
             (data.noDataText || "无数据") + " · " + fmt(r.target) + " " + (r.unit || ""), item);
          return;
        }
        var bar = el("div", "cg-bar", null, item);
        var target = r.target > 0 ? r.target : 0;
        [["completed", "cg-bar-done"], ["under_construction", "cg-bar-building"],
         ["planned", "cg-bar-planned"]].reduce(function (left, pair) {
          var v = r[pair[0]] || 0;
          var w = target ? Math.max(0, Math.min(100 - left, (100 * v) / target)) : 0;
          var seg = el("div", "cg-bar-seg " + pair[1], null, bar);
          seg.style.left = left + "%";
          seg.style.width = w + "%";
          return left + w;
        }, 0);
        var pct = r.pct === null || r.pct === undefined ? "—" : fmt(r.pct, 1) + "%";
        el("div", "cg-progress-text",
           data.completedText + " " + fmt(r.completed) + " / " + fmt(r.target) + " " + (r.unit || "") +
           " (" + pct + ")", item);
        if (r.greened !== null && r.greened !== undefined) {
          el("div", "cg-progress-green", data.greenText + " " + fmt(r.greened) + " " + (r.unit || "") +
             " (" + fmt(100 * r.greenShare, 1) + "%)", item);
        }
        if (data.trend && r.lamp) trendLine(r, data.trend, item);
        if (r.notes) el("div", "cg-progress-note", r.notes, item);
      });
      var key = el("div", "cg-progress-key", null, box);
      [["cg-bar-done", data.statusLabels.completed], ["cg-bar-building", data.statusLabels.under_construction],
       ["cg-bar-planned", data.statusLabels.planned]].forEach(function (pair) {
        var s = el("span", "cg-key-item", null, key);
        el("span", "cg-key-swatch " + pair[0], null, s);
        el("span", null, pair[1], s);
      });
      return box;
    };
    return control.addTo(map);
  };

  /* ---- search ------------------------------------------------------------------------ */

  CG.search = function (map, options) {
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "cg-panel cg-search");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var input = el("input", "cg-search-input", null, box);
      input.type = "search";
      input.placeholder = options.placeholder;
      input.setAttribute("aria-label", options.placeholder);
      var results = el("ul", "cg-search-results", null, box);
      input.addEventListener("input", function () {
        while (results.firstChild) results.removeChild(results.firstChild);
        var q = input.value.trim().toLowerCase();
        if (!q) return;
        var hits = 0;
        CG.layers.some(function (entry) {
          /* by name and by 项目编号 / 小班号 (project_id) */
          var names = entry.data.columns.name || [];
          var ids = entry.data.columns.project_id || [];
          var n = Math.max(names.length, ids.length);
          var has = function (v) {
            return v !== null && v !== undefined && String(v).toLowerCase().indexOf(q) >= 0;
          };
          for (var i = 0; i < n && hits < options.limit; i++) {
            if (has(names[i]) || has(ids[i])) {
              hits += 1;
              var li = el("li", "cg-search-hit", null, results);
              var label = names[i] !== null && names[i] !== undefined ? String(names[i]) : "";
              var id = ids[i] !== null && ids[i] !== undefined ? String(ids[i]) : "";
              el("span", null, label && id ? label + " (" + id + ")" : label || id, li);
              el("span", "cg-search-layer", " · " + entry.data.name, li);
              li.addEventListener("click", (function (e, k) {
                return function () { CG.focus(map, e, k); };
              })(entry, i));
            }
          }
          return hits >= options.limit;
        });
        if (!hits) el("li", "cg-search-none", options.noneText, results);
      });
      return box;
    };
    return control.addTo(map);
  };

  CG.focus = function (map, entry, i) {
    if (!map.hasLayer(entry.group)) map.addLayer(entry.group);
    var layer = entry.buildFeature(i);
    var bounds = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
    map.fitBounds(bounds, { maxZoom: Math.max(entry.options.detailZoom, 15) });
    CG.openPopup(map, entry, i, bounds.getCenter());
  };

  /* ---- measure tool (geodesic, GRS80, GeographicLib) ---------------------------------- */

  CG.measure = function (map, options) {
    var geod = new geodesic.Geodesic.Geodesic(6378137, 1 / 298.257222101);
    var control = L.control({ position: "topleft" });
    var mode = null, points = [], sketch = null, vertices = L.layerGroup();
    var output;
    function compute() {
      if (!points.length) return { length: 0, area: 0 };
      var poly = geod.Polygon(mode === "line");
      points.forEach(function (p) { poly.AddPoint(p.lat, p.lng); });
      var r = poly.Compute(false, true);
      return { length: r.perimeter, area: Math.abs(r.area || 0) };
    }
    CG.measureResult = function () {
      var r = compute();
      return { mode: mode, points: points.length, km: r.length / 1000, mu: r.area * MU_PER_M2 };
    };
    function show() {
      var r = compute();
      if (mode === "line") {
        output.textContent = options.lengthText + " " + fmt(r.length / 1000, 3) + " 公里";
      } else if (mode === "area") {
        output.textContent = options.areaText + " " + fmt(r.area * MU_PER_M2, 2) + " 亩 · " +
          options.perimeterText + " " + fmt(r.length / 1000, 3) + " 公里";
      }
    }
    function redraw() {
      if (sketch) map.removeLayer(sketch);
      var style = { color: "#222222", weight: 2, dashArray: "4 4", fillOpacity: 0.1, interactive: false };
      sketch = mode === "area" && points.length > 2 ? L.polygon(points, style) : L.polyline(points, style);
      sketch.addTo(map);
    }
    function onClick(e) {
      points.push(e.latlng);
      vertices.addLayer(L.circleMarker(e.latlng, { radius: 3, color: "#222222", interactive: false }));
      redraw();
      show();
    }
    function start(which) {
      stop(false);
      mode = which;
      CG.measuring = true;
      map.getContainer().classList.add("cg-measuring");
      map.doubleClickZoom.disable();
      map.on("click", onClick);
      output.textContent = options.hintText;
    }
    function stop(clear) {
      map.off("click", onClick);
      map.doubleClickZoom.enable();
      map.getContainer().classList.remove("cg-measuring");
      CG.measuring = false;
      if (clear) {
        if (sketch) map.removeLayer(sketch);
        sketch = null;
        vertices.clearLayers();
        points = [];
        mode = null;
        output.textContent = "";
      }
    }
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "cg-panel cg-measure");
      L.DomEvent.disableClickPropagation(box);
      var buttons = el("div", "cg-measure-buttons", null, box);
      [["line", options.lineText], ["area", options.areaButtonText]].forEach(function (pair) {
        var b = el("button", "cg-button", pair[1], buttons);
        b.type = "button";
        b.setAttribute("data-mode", pair[0]);
        b.addEventListener("click", function () { start(pair[0]); });
      });
      var done = el("button", "cg-button", options.finishText, buttons);
      done.type = "button";
      done.addEventListener("click", function () { stop(false); });
      var clear = el("button", "cg-button", options.clearText, buttons);
      clear.type = "button";
      clear.addEventListener("click", function () { stop(true); });
      output = el("div", "cg-measure-output", "", box);
      vertices.addTo(map);
      return box;
    };
    return control.addTo(map);
  };
})();
