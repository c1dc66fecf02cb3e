// The dashboard's map page: draws /dashboard/map.json (pins, areas, colour groups) with
// Leaflet, clustered by Supercluster. Plain script, no build step: the rest of the
// dashboard works without JavaScript and this page says so when it is off.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var status = document.getElementById('map-status');
  var legend = document.getElementById('legend');
  var chooser = document.getElementById('colour-by');
  var say = function (text) { status.textContent = text; };
  if (!el || !status || !legend || !chooser) return;
  if (!window.L || !window.Supercluster) {
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
    var groupOf = function (pin) { return pin[keys[by]]; };
    var colourOf = function (pin) { return data.colour_by[by][groupOf(pin)].colour; };
    var n = function (x) { return x.toLocaleString('en-US'); };

    // Areas on a canvas of their own, under the pins': a pin that comes or goes as the
    // clusters change then does not redraw the borders beneath it.
    var areaCanvas = L.canvas({ padding: 0.5 });
    var areas = L.layerGroup(data.areas.map(function (a) {
      var g = data.colour_by.territory[a.territory];
      return L.polygon(a.rings, {
        color: g.colour, weight: 2, fillOpacity: 0.08, interactive: false, renderer: areaCanvas
      });
    })).addTo(map);

    // Clustering: Supercluster builds every zoom level's clusters once, and each view draws
    // only what it shows, so 50,000 pins cost a zoom or a pan no more than 90 do. Clusters
    // stop at street level (CLUSTER_MAX + 1), where pins at one spot stack instead.
    var CLUSTER_MAX = 14;
    var chosenPins = new Uint8Array(data.pins.length); // 1: the pin's postal code is chosen
    var index = null;
    var generation = 0; // bumped by each build: what was drawn before is drawn again
    function build() {
      generation += 1;
      // Flat properties (g<group>: count, c: chosen), as Supercluster copies them shallowly.
      index = new Supercluster({
        radius: 45, extent: 256, maxZoom: CLUSTER_MAX,
        map: function (p) { var o = { c: p.c }; o['g' + p.g] = 1; return o; },
        reduce: function (acc, p) { for (var k in p) acc[k] = (acc[k] || 0) + p[k]; }
      });
      index.load(data.pins.map(function (pin, i) {
        return {
          type: 'Feature', geometry: { type: 'Point', coordinates: [pin[3], pin[2]] },
          properties: { i: i, g: groupOf(pin), c: chosenPins[i] }
        };
      }));
    }

    // A pin's marker is made the first time a view shows it.
    var markers = new Array(data.pins.length);
    function markerOf(i) {
      var m = markers[i];
      if (!m) {
        var pin = data.pins[i];
        m = markers[i] = L.circleMarker([pin[2], pin[3]], {
          renderer: renderer, radius: 6, fillOpacity: 0.95
        });
        m.on('click', function () {
          if (selection) selection.toggle([i]);
          else L.popup().setLatLng(m.getLatLng()).setContent(card(pin, data)).openOn(map);
        });
      }
      // Styled as it is drawn: colours and choices may have changed since the last view.
      var o = m.options;
      o.fillColor = colourOf(data.pins[i]);
      o.color = chosenPins[i] ? '#1d2430' : '#ffffff';
      o.weight = chosenPins[i] ? 3 : 1;
      return m;
    }

    // A cluster wears the colour most of its accounts have; a dashed ring says it holds
    // others too. Built as an element so its colour is set without inline HTML styles.
    function clusterIcon(count, tally, picked) {
      var best = null;
      Object.keys(tally).forEach(function (g) {
        if (best === null || tally[g] > tally[best]) best = g;
      });
      var ring = document.createElement('div');
      var wide = count >= 1000;
      ring.className = 'cluster-ring' + (tally[best] < count ? ' mixed' : '') +
        (wide ? ' wide' : '') + (picked ? ' chosen' : '');
      ring.style.background = data.colour_by[by][best].colour;
      ring.appendChild(text('span', n(count)));
      // While choosing, a cluster says how many of its accounts are at chosen codes.
      if (picked) {
        var badge = text('b', n(picked), 'picked');
        badge.title = n(picked) + ' of ' + n(count) + ' chosen';
        ring.appendChild(badge);
      }
      var size = wide ? 48 : 38;
      return L.divIcon({ html: ring, className: 'cluster', iconSize: L.point(size, size) });
    }
    function clusterMarker(latlng, count, tally, picked, label, onClick) {
      var m = L.marker(latlng, { icon: clusterIcon(count, tally, picked), title: label });
      m.on('click', onClick);
      return m;
    }

    var shown = L.layerGroup().addTo(map);
    var drawn = {}; // generation:key -> layer on the map
    function render() {
      var b = map.getBounds().pad(0.5);
      var zoom = Math.floor(map.getZoom());
      var features = index.getClusters(
        [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
         Math.min(180, b.getEast()), Math.min(85, b.getNorth())], zoom);
      var layers = {}; // key -> layer; a view keeps what it shares with the last one
      var spots = {}; // past CLUSTER_MAX: pins at one spot, 'lat,lon' -> pin indices
      features.forEach(function (f) {
        var p = f.properties;
        var at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        if (!p.cluster) {
          if (zoom <= CLUSTER_MAX) { layers['p' + p.i] = markerOf; return; }
          var key = data.pins[p.i][2] + ',' + data.pins[p.i][3];
          (spots[key] = spots[key] || []).push(p.i);
          return;
        }
        var tally = {};
        Object.keys(p).forEach(function (k) { if (k.charAt(0) === 'g' && k.length > 1) tally[k.slice(1)] = p[k]; });
        layers['c' + p.cluster_id] = function () {
          return clusterMarker(at, p.point_count, tally, p.c, n(p.point_count) + ' accounts: zoom in',
            function () {
              map.setView(at, Math.min(index.getClusterExpansionZoom(p.cluster_id), CLUSTER_MAX + 1));
            });
        };
      });
      Object.keys(spots).forEach(function (key) {
        var at = spots[key];
        if (at.length === 1) { layers['p' + at[0]] = markerOf; return; }
        var tally = {};
        var picked = 0;
        at.forEach(function (i) {
          var g = groupOf(data.pins[i]);
          tally[g] = (tally[g] || 0) + 1;
          picked += chosenPins[i];
        });
        var pin = data.pins[at[0]];
        layers['s' + key] = function () {
          return clusterMarker([pin[2], pin[3]], at.length, tally, picked, n(at.length) + ' accounts at one place',
            function () {
              if (selection) selection.toggle(at);
              else L.popup().setLatLng([pin[2], pin[3]]).setContent(stackCard(at, data)).openOn(map);
            });
        };
      });
      // Only the difference is drawn: a pan keeps the pins and clusters still in view.
      var prefix = generation + ':';
      Object.keys(drawn).forEach(function (k) {
        var bare = k.slice(k.indexOf(':') + 1);
        if (k.indexOf(prefix) !== 0 || !layers[bare]) {
          shown.removeLayer(drawn[k]);
          delete drawn[k];
        }
      });
      Object.keys(layers).forEach(function (k) {
        if (drawn[prefix + k]) return;
        var make = layers[k];
        drawn[prefix + k] = make === markerOf ? markerOf(+k.slice(1)) : make();
        shown.addLayer(drawn[prefix + k]);
      });
    }

    if (data.pins.length) {
      // Fitted to the pins the filter chose; their territories' areas may reach further.
      var bounds = L.latLngBounds(data.pins.map(function (p) { return [p[2], p[3]]; }));
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    }
    drawLegend();
    build();
    render();
    map.on('moveend', render);
    ready();

    function ready() {
      var count = data.pins.length;
      var said = n(count) + ' account' + (count === 1 ? '' : 's') + ' on the map';
      if (data.not_on_map) said += ' · ' + n(data.not_on_map) + ' without a location';
      say(said + '.');
      if (data.not_on_map) {
        status.appendChild(document.createTextNode(' '));
        var a = text('a', 'Place them');
        a.href = el.dataset.unmapped;
        status.appendChild(a);
      }
      // Load-to-interactive (from the page's navigation), for its browser test and benchmark.
      el.dataset.readyMs = String(Math.round(performance.now()));
      el.dataset.pins = String(count);
      el.dataset.areas = String(areas.getLayers().length);
    }

    var selection = null;
    var chooseButton = document.getElementById('select-units');
    var form = document.getElementById('selection');
    if (chooseButton && form) {
      var picker = choosing(data, chosenPins, form, renderer, function () {
        build();
        render();
      });
      chooseButton.addEventListener('click', function () {
        selection = selection ? null : picker;
        picker.active(!!selection);
        chooseButton.setAttribute('aria-pressed', selection ? 'true' : 'false');
      });
    }

    chooser.addEventListener('change', function () {
      by = chooser.value;
      build();
      render();
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
  function choosing(data, chosenPins, form, renderer, restyled) {
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
      var changed = false;
      data.pins.forEach(function (pin, i) {
        var on = chosen[keyOf(pin)] === true ? 1 : 0;
        accounts += on;
        if (on !== chosenPins[i]) { chosenPins[i] = on; changed = true; }
      });
      // Pins and clusters are drawn again only when a choice changed.
      if (changed) restyled();
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
      // A click on a pin, or on pins stacked at one spot: takes their postal codes, or
      // gives them back when all are already chosen.
      toggle: function (indices) {
        var codes = indices.map(function (i) { return keyOf(data.pins[i]); })
          .filter(function (k) { return k; });
        if (!codes.length) return;
        var all = codes.every(function (k) { return chosen[k]; });
        codes.forEach(function (k) { if (all) delete chosen[k]; else chosen[k] = true; });
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

  // Accounts at one spot (zoomed in as far as clusters go): a list, each to its page.
  function stackCard(indices, data) {
    var box = document.createElement('div');
    box.className = 'map-card';
    box.appendChild(text('strong', indices.length.toLocaleString('en-US') + ' accounts at this place'));
    var list = document.createElement('ul');
    indices.slice(0, STACK_LISTED).forEach(function (i) {
      var pin = data.pins[i];
      var li = document.createElement('li');
      var link = text('a', pin[1]);
      link.href = '/dashboard/accounts/' + encodeURIComponent(pin[0]);
      li.appendChild(link);
      li.appendChild(text('span', ' · ' + data.colour_by.territory[pin[5]].label, 'muted'));
      list.appendChild(li);
    });
    box.appendChild(list);
    if (indices.length > STACK_LISTED) {
      box.appendChild(text('div', 'and ' + (indices.length - STACK_LISTED).toLocaleString('en-US') +
        ' more: the list of accounts has them all.', 'muted'));
    }
    return box;
  }
  var STACK_LISTED = 30;

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
