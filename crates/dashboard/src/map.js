// The dashboard's map page: draws /dashboard/map.json (pins, areas, colour groups) with
// Leaflet and Leaflet.markercluster. Plain script, no build step: the rest of the
// dashboard works without JavaScript and this page says so when it is off.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var status = document.getElementById('map-status');
  var legend = document.getElementById('legend');
  var chooser = document.getElementById('colour-by');
  var say = function (text) { status.textContent = text; };
  if (!el || !status || !legend || !chooser) return;
  if (!window.L || !L.markerClusterGroup) {
    say('The map could not start: its scripts did not load. The accounts are in the list.');
    return;
  }
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  if (el.dataset.tiles) {
    // The attribution is the server's setting; shown as text, never as HTML.
    var credit = document.createElement('span');
    credit.textContent = el.dataset.attribution || '';
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: credit.innerHTML }).addTo(map);
  } else {
    el.classList.add('no-tiles');
  }
  map.setView([39.8, -98.6], 4);

  fetch(el.dataset.source, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(function (r) {
      if (!r.ok) throw new Error('the server answered ' + r.status);
      return r.json();
    })
    .then(draw)
    .catch(function (e) {
      say('The accounts could not be loaded (' + e.message + '). Reload the page to try again.');
    });

  function text(tag, value, cls) {
    var n = document.createElement(tag);
    n.textContent = value;
    if (cls) n.className = cls;
    return n;
  }

  function draw(data) {
    var renderer = L.canvas({ padding: 0.5 });
    var by = chooser.value;
    var keys = { territory: 5, rep: 6, priority: 7, stage: 8 };
    var colourOf = function (pin) { return data.colour_by[by][pin[keys[by]]].colour; };

    // Areas on a canvas of their own, under the pins': a pin that comes or goes as the
    // clusters change then does not redraw the borders beneath it.
    var areaCanvas = L.canvas({ padding: 0.5 });
    var areas = L.layerGroup(data.areas.map(function (a) {
      var g = data.colour_by.territory[a.territory];
      return L.polygon(a.rings, {
        color: g.colour, weight: 2, fillOpacity: 0.08, interactive: false, renderer: areaCanvas
      });
    })).addTo(map);

    var markers = data.pins.map(function (pin, i) {
      var m = L.circleMarker([pin[2], pin[3]], {
        renderer: renderer, radius: 6, weight: 1, color: '#ffffff',
        fillColor: colourOf(pin), fillOpacity: 0.95
      });
      m.on('click', function () {
        if (selection) selection.toggle(pin);
        else L.popup().setLatLng(m.getLatLng()).setContent(card(pin, data)).openOn(map);
      });
      m.pinIndex = i;
      return m;
    });

    // A cluster wears the colour most of its accounts have; a dashed ring says it holds
    // others too. Built as an element so its colour is set without inline HTML styles.
    function clusterIcon(cluster) {
      var children = cluster.getAllChildMarkers();
      var counts = {};
      var best = null;
      var picked = 0;
      children.forEach(function (m) {
        var g = data.pins[m.pinIndex][keys[by]];
        counts[g] = (counts[g] || 0) + 1;
        if (best === null || counts[g] > counts[best]) best = g;
        if (m.chosen) picked += 1;
      });
      var ring = document.createElement('div');
      var wide = children.length >= 1000;
      ring.className = 'cluster-ring' + (counts[best] < children.length ? ' mixed' : '') +
        (wide ? ' wide' : '') + (picked ? ' chosen' : '');
      ring.style.background = data.colour_by[by][best].colour;
      ring.appendChild(text('span', children.length.toLocaleString('en-US')));
      // While choosing, a cluster says how many of its accounts are at chosen codes.
      if (picked) {
        var badge = text('b', picked.toLocaleString('en-US'), 'picked');
        badge.title = picked.toLocaleString('en-US') + ' of ' +
          children.length.toLocaleString('en-US') + ' chosen';
        ring.appendChild(badge);
      }
      var size = wide ? 48 : 38;
      return L.divIcon({ html: ring, className: 'cluster', iconSize: L.point(size, size) });
    }
    if (markers.length) {
      // Fitted to the pins the filter chose; their territories' areas may reach further.
      var bounds = L.latLngBounds(data.pins.map(function (p) { return [p[2], p[3]]; }));
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    }
    drawLegend();
    var clusters = L.markerClusterGroup({
      iconCreateFunction: clusterIcon,
      chunkedLoading: true,
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      disableClusteringAtZoom: 15,
      // Called after every chunk, the last one included (done === total).
      chunkProgress: function (done, total) {
        if (done < total) say('Placing ' + done.toLocaleString('en-US') + ' of ' + total.toLocaleString('en-US') + ' accounts…');
        else setTimeout(ready, 0);
      }
    });
    map.addLayer(clusters);
    clusters.addLayers(markers);

    function ready() {
      var n = function (x) { return x.toLocaleString('en-US'); };
      var shown = n(markers.length) + ' account' + (markers.length === 1 ? '' : 's') + ' on the map';
      if (data.not_on_map) shown += ' · ' + n(data.not_on_map) + ' without a location';
      say(shown + '.');
      if (data.not_on_map) {
        status.appendChild(document.createTextNode(' '));
        var a = text('a', 'Place them');
        a.href = el.dataset.unmapped;
        status.appendChild(a);
      }
      // Load-to-interactive (from the page's navigation), for its browser test and benchmark.
      el.dataset.readyMs = String(Math.round(performance.now()));
      el.dataset.pins = String(markers.length);
      el.dataset.areas = String(areas.getLayers().length);
    }

    var selection = null;
    var chooseButton = document.getElementById('select-units');
    var form = document.getElementById('selection');
    if (chooseButton && form) {
      var picker = choosing(data, markers, form, renderer, function (changed) {
        clusters.refreshClusters(changed);
      });
      chooseButton.addEventListener('click', function () {
        selection = selection ? null : picker;
        picker.active(!!selection);
        chooseButton.setAttribute('aria-pressed', selection ? 'true' : 'false');
      });
    }

    chooser.addEventListener('change', function () {
      by = chooser.value;
      markers.forEach(function (m, i) { m.setStyle({ fillColor: colourOf(data.pins[i]) }); });
      clusters.refreshClusters();
      drawLegend();
    });

    function drawLegend() {
      legend.replaceChildren(text('h2', 'Colour: ' + chooser.options[chooser.selectedIndex].text));
      var list = document.createElement('ul');
      data.colour_by[by].forEach(function (g) {
        if (!g.count) return;
        var li = document.createElement('li');
        var swatch = text('span', '', 'swatch');
        swatch.style.background = g.colour;
        li.appendChild(swatch);
        li.appendChild(text('span', g.label, 'label'));
        li.appendChild(text('span', g.count.toLocaleString('en-US'), 'count'));
        list.appendChild(li);
      });
      legend.appendChild(list);
    }
  }

  // Choosing postal codes: a click on a pin takes (or gives back) its code; a line drawn
  // around pins with the mouse held down takes all of theirs. The form below the map
  // carries the codes to the postal codes page, which previews the move.
  function choosing(data, markers, form, renderer, restyled) {
    var chosen = {}; // 'country|code' -> true
    var summary = document.getElementById('selection-summary');
    var codesBox = document.getElementById('selection-codes');
    var countryInput = document.getElementById('selection-country');
    var preview = document.getElementById('selection-preview');
    var keyOf = function (pin) { return pin[9] ? (pin[10] || 'US') + '|' + pin[9] : null; };
    var path = null;
    var line = null;

    function update() {
      var keys = Object.keys(chosen).sort();
      var countries = {};
      var accounts = 0;
      var changed = [];
      markers.forEach(function (m, i) {
        var on = chosen[keyOf(data.pins[i])] === true;
        if (on) accounts += 1;
        // Only the pins that change are restyled: a lasso over 50,000 stays quick.
        if (on === !!m.chosen) return;
        m.chosen = on;
        changed.push(m);
        m.setStyle(on ? { color: '#1d2430', weight: 3 } : { color: '#ffffff', weight: 1 });
      });
      // Their clusters too, so a choice hidden in one still shows.
      if (changed.length) restyled(changed);
      var fields = keys.map(function (k) {
        var parts = k.split('|');
        countries[parts[0]] = true;
        var input = document.createElement('input');
        input.type = 'hidden';
        input.name = 'code';
        input.value = parts[1];
        return input;
      });
      codesBox.replaceChildren.apply(codesBox, fields);
      var countryList = Object.keys(countries);
      countryInput.value = countryList[0] || 'US';
      var n = function (x, word) { return x.toLocaleString('en-US') + ' ' + word + (x === 1 ? '' : 's'); };
      if (!keys.length) summary.textContent = 'No postal code chosen yet.';
      else if (countryList.length > 1) summary.textContent = 'Postal codes of ' + countryList.length + ' countries are chosen: move one country\'s at a time.';
      else {
        var shown = keys.slice(0, 12).map(function (k) { return k.split('|')[1]; }).join(', ');
        summary.textContent = n(keys.length, 'postal code') + ' (' + n(accounts, 'account') + ' on the map) chosen: ' +
          shown + (keys.length > 12 ? ', …' : '') + '.';
      }
      preview.disabled = !keys.length || countryList.length > 1;
      form.hidden = !keys.length && !el.classList.contains('selecting');
    }

    // Ray casting in degrees: fine at the scale a line is drawn around pins.
    function inside(lat, lon, ring) {
      var hit = false;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i], b = ring[j];
        if ((a.lat > lat) !== (b.lat > lat) &&
            lon < (b.lng - a.lng) * (lat - a.lat) / (b.lat - a.lat) + a.lng) hit = !hit;
      }
      return hit;
    }

    function start(e) {
      if (e.button !== 0) return;
      path = [map.mouseEventToLatLng(e)];
      // On the pins' own canvas: a canvas of its own would lie over theirs and take
      // their clicks.
      line = L.polyline(path, {
        color: '#1d2430', weight: 2, dashArray: '4 4', interactive: false, renderer: renderer
      }).addTo(map);
    }
    function extend(e) {
      if (!path) return;
      path.push(map.mouseEventToLatLng(e));
      line.setLatLngs(path);
    }
    function finish() {
      if (!path) return;
      var ring = path;
      path = null;
      map.removeLayer(line);
      // A click (no line to speak of) is the pin's own business.
      var px = ring.map(function (p) { return map.latLngToContainerPoint(p); });
      var span = px.reduce(function (s, p) { return Math.max(s, p.distanceTo(px[0])); }, 0);
      if (ring.length < 3 || span < 12) return;
      data.pins.forEach(function (pin) {
        var k = keyOf(pin);
        if (k && inside(pin[2], pin[3], ring)) chosen[k] = true;
      });
      update();
    }

    // Pointer events: a mouse, a finger or a pen draws the same line (a second finger,
    // say to zoom, draws nothing).
    L.DomEvent.on(el, 'pointerdown', function (e) {
      if (el.classList.contains('selecting') && e.isPrimary) start(e);
    });
    L.DomEvent.on(el, 'pointermove', function (e) { if (e.isPrimary) extend(e); });
    L.DomEvent.on(document, 'pointerup', finish);
    L.DomEvent.on(document, 'pointercancel', function () {
      if (!path) return;
      path = null;
      map.removeLayer(line);
    });
    document.getElementById('selection-clear').addEventListener('click', function () {
      chosen = {};
      update();
    });

    return {
      toggle: function (pin) {
        var k = keyOf(pin);
        if (!k) return;
        if (chosen[k]) delete chosen[k];
        else chosen[k] = true;
        update();
      },
      active: function (on) {
        el.classList.toggle('selecting', on);
        if (on) map.dragging.disable();
        else map.dragging.enable();
        map.closePopup();
        update();
      }
    };
  }

  // The account's card: built from text nodes, so a name is never read as HTML.
  function card(pin, data) {
    var box = document.createElement('div');
    box.className = 'map-card';
    var link = text('a', pin[1]);
    link.href = '/dashboard/accounts/' + encodeURIComponent(pin[0]);
    var title = document.createElement('strong');
    title.appendChild(link);
    box.appendChild(title);
    if (pin[4]) box.appendChild(text('div', pin[4], 'muted'));
    var facts = document.createElement('dl');
    [['Territory', data.colour_by.territory[pin[5]].label],
     ['Rep', data.colour_by.rep[pin[6]].label],
     ['Priority', data.colour_by.priority[pin[7]].label],
     ['Stage', data.colour_by.stage[pin[8]].label]].forEach(function (f) {
      facts.appendChild(text('dt', f[0]));
      facts.appendChild(text('dd', f[1]));
    });
    box.appendChild(facts);
    if (pin[9]) {
      var unit = text('a', 'Postal code ' + pin[9] + ': its territory');
      unit.href = '/dashboard/postal-codes/' + encodeURIComponent(pin[9]) +
        '?country=' + encodeURIComponent(pin[10] || 'US');
      unit.className = 'map-unit';
      box.appendChild(unit);
    }
    return box;
  }
})();
