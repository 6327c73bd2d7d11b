// The overview map for a thumb: every layer in one clustering (a cluster's ring shows what
// it holds, its count stays readable), chips above the map that are both the legend and
// the layer switch, a locate button, your position drawn so it cannot be mistaken for a
// facility, a one-line attribution, and "find near here" on a tap. Data goes into the page
// as text (textContent), never as HTML.
(function () {
  var cfgEl = document.getElementById('map-config');
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var map = window[cfg.map];
  var T = cfg.texts;
  var status = document.getElementById('map-status');
  if (!map || !window.L) { return; }

  function say(text, link) {
    status.textContent = text;
    if (link) { status.appendChild(document.createTextNode(' ')); status.appendChild(link); }
  }

  // GCJ-02 (AMap tiles) from the browser's WGS-84 position (offline.js holds the formula)
  function wgsToGcj(lat, lon) {
    return cfg.coord === 'gcj02' ? window.LocatorOffline.wgsToGcj(lat, lon) : [lat, lon];
  }

  function findLink(lat, lon, coord) {
    var q = new URLSearchParams({lon: lon.toFixed(6), lat: lat.toFixed(6), coord: coord});
    if (cfg.lang === 'en') { q.set('lang', 'en'); }
    var a = document.createElement('a');
    a.className = 'btn find-here';
    a.href = '/?' + q.toString();
    a.textContent = T.find_here;
    return a;
  }

  // ---------------------------------------------------------------- attribution
  var attribution = map.attributionControl && map.attributionControl.getContainer();
  if (attribution) {
    attribution.title = T.attribution_toggle;
    attribution.addEventListener('click', function (e) {
      if (e.target.tagName !== 'A') { attribution.classList.toggle('open'); }
    });
  }

  // ---------------------------------------------------------------- your position
  var you = null, youWgs = null;  // youWgs: [lon, lat] WGS-84, for the popups' trips
  function showYou(lat, lon, accuracy) {
    if (you) { map.removeLayer(you); }
    var icon = L.divIcon({className: '', html: '<div class="you-dot"></div>',
                          iconSize: [30, 30], iconAnchor: [15, 15]});
    you = L.layerGroup().addTo(map);
    if (accuracy) {
      L.circle([lat, lon], {radius: accuracy, color: '#111', weight: 1, fillColor: '#ffd700',
                            fillOpacity: 0.15, interactive: false}).addTo(you);
    }
    L.marker([lat, lon], {icon: icon, keyboard: false, zIndexOffset: 1000, title: T.you_are_here})
      .bindTooltip(T.you_are_here, {permanent: true, direction: 'top', offset: [0, -14]})
      .addTo(you);
  }
  if (cfg.you) {  // [lat, lon] WGS-84, drawn in the basemap's system like every overlay
    var at = wgsToGcj(cfg.you[0], cfg.you[1]);
    showYou(at[0], at[1]);
    youWgs = cfg.youWgs || null;
  }

  // ---------------------------------------------------------------- locate
  var Locate = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var box = L.DomUtil.create('div', 'leaflet-bar');
      var button = L.DomUtil.create('button', 'locate-control', box);
      button.type = 'button';
      button.textContent = '📍';
      button.title = T.locate_me;
      button.setAttribute('aria-label', T.locate_me);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.on(button, 'click', function () {
        if (!window.isSecureContext || !navigator.geolocation) {
          say(T.locate_insecure_map);
          return;
        }
        say(T.locating);
        navigator.geolocation.getCurrentPosition(function (pos) {
          var c = pos.coords, p = wgsToGcj(c.latitude, c.longitude);
          youWgs = [c.longitude, c.latitude];
          showYou(p[0], p[1], c.accuracy);
          map.setView(p, Math.max(map.getZoom(), 15));
          say(T.you_are_here, findLink(c.latitude, c.longitude, 'wgs84'));
        }, function (err) {
          say(T[{1: 'locate_denied_map', 2: 'locate_unavailable_map',
                 3: 'locate_timeout_map'}[err.code] || 'locate_unavailable_map']);
        }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
      });
      return box;
    }
  });
  var locate = new Locate().addTo(map);
  // the zoom and locate buttons go beside the map, so that none covers a marker
  var tools = document.querySelector('.map-tools');
  if (tools) {
    [map.zoomControl, locate].forEach(function (c) {
      if (c) { tools.appendChild(c.getContainer()); }
    });
    tools.hidden = false;
  }

  // ---------------------------------------------------------------- a tap on the map
  // a pin where the map was tapped, and the "find near here" button in the status line
  // above the map (whose height is reserved): nothing pans or pushes the map
  var picked = null;
  map.on('click', function (e) {
    if (picked) { map.removeLayer(picked); }
    picked = L.circleMarker(e.latlng, {radius: 9, color: '#111', weight: 3, fillColor: '#fff',
                                       fillOpacity: 1, interactive: false}).addTo(map);
    say('', findLink(e.latlng.lat, e.latlng.lng, cfg.coord));
  });

  // ---------------------------------------------------------------- facilities
  var layers = cfg.layers;
  function clusterIcon(cluster) {
    var counts = layers.map(function () { return 0; });
    cluster.getAllChildMarkers().forEach(function (m) { counts[m.options.layerIndex] += 1; });
    var total = cluster.getChildCount(), at = 0, stops = [];
    counts.forEach(function (n, i) {
      if (!n) { return; }
      var from = at / total * 360;
      at += n;
      stops.push(layers[i].colour + ' ' + from + 'deg ' + (at / total * 360) + 'deg');
    });
    var div = document.createElement('div');
    div.className = 'mix-cluster';
    div.style.background = 'conic-gradient(' + stops.join(',') + ')';
    var span = document.createElement('span');
    span.textContent = total;
    div.appendChild(span);
    var size = total < 10 ? 36 : total < 100 ? 44 : 52;
    return L.divIcon({html: div, className: 'mix-cluster-icon', iconSize: [size, size]});
  }
  // WCAG 2.2 target size: a cluster drawn at the mean of its markers may land on its
  // neighbour (two means can be arbitrarily close). Drawn at its seed instead (the first
  // marker; markercluster keeps every seed more than maxClusterRadius px from the others
  // at its zoom), icons of at most 52 px never overlap with a radius of 60 px.
  var recalculate = L.MarkerCluster.prototype._recalculateBounds;
  L.MarkerCluster.include({_recalculateBounds: function () {
    recalculate.call(this);
    if (this._cLatLng) { this._latlng = this._wLatLng = this._cLatLng; }
  }});
  var group = L.markerClusterGroup({maxClusterRadius: 60, disableClusteringAtZoom: 16,
                                    showCoverageOnHover: false, iconCreateFunction: clusterIcon});
  map.addLayer(group);
  var byLayer = layers.map(function () { return []; });
  var hover = window.matchMedia && window.matchMedia('(hover: hover)').matches;
  var shown = layers.map(function () { return true; });

  function popup(row) {
    var box = document.createElement('div');
    var title = document.createElement('a');
    title.href = '/f/' + encodeURIComponent(row[3]) + cfg.langQuery;
    // English pages: the English name where there is one, the Chinese beside it
    var english = cfg.lang === 'en' && row[6];
    title.textContent = english ? row[6] : row[4];
    title.style.fontWeight = 'bold';
    box.appendChild(title);
    if (english) {
      var zh = document.createElement('div');
      zh.lang = 'zh-CN';
      zh.textContent = row[4];
      box.appendChild(zh);
    }
    var kind = document.createElement('div');
    kind.textContent = layers[row[2]].name;
    box.appendChild(kind);
    if (row[5]) {
      var address = document.createElement('div');
      address.textContent = row[5];
      box.appendChild(address);
    }
    var trip = document.createElement('div');  // from your position: filled when it opens
    trip.className = 'trip';
    box.appendChild(trip);
    var hours = document.createElement('div');  // filled when the popup opens
    hours.className = 'hours';
    box.appendChild(hours);
    return box;
  }

  // ---------------------------------------------------------------- hours in a popup
  // the server's words for the hours (the card's rule: the state on arrival first, from
  // your position when the map knows it), asked when a popup opens
  var page = new URLSearchParams(location.search);
  var travelCookie = (document.cookie.match(/(?:^|; )travel=(walk|ebike)/) || [])[1];
  function tripQuery() {
    var q = new URLSearchParams({lang: cfg.lang,
                                 travel: page.get('travel') || travelCookie || 'walk'});
    if (youWgs) { q.set('lon', youWgs[0].toFixed(6)); q.set('lat', youWgs[1].toFixed(6)); }
    if (page.get('at')) { q.set('at', page.get('at')); }
    return q;
  }
  map.on('popupopen', function (e) {
    var box = e.popup.getContent();
    var hours = box && box.querySelector && box.querySelector('.hours');
    var link = box && box.querySelector && box.querySelector('a');
    if (!hours || !link) { return; }
    var id = decodeURIComponent(link.pathname.slice(3)), q = tripQuery();
    if (youWgs) {  // the details of the trip from here
      var details = new URLSearchParams(q);
      if (cfg.lang !== 'en') { details.delete('lang'); }
      link.search = '?' + details.toString();
    }
    fetch('/api/v1/facilities/' + encodeURIComponent(id) + '?' + q.toString())
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (f) {
        var p = f.properties;
        var state = {arrive_closed: 'closed', arrive_open: 'open', arrival_open: 'open',
                     arrival_closed: 'closed', open_until: 'open', open_always: 'open',
                     closed_until: 'closed', closed: 'closed'}[p.hours_phrase] || 'unknown';
        hours.className = 'hours state-' + state;
        hours.dataset.phrase = p.hours_phrase;
        hours.textContent = p.hours_text[cfg.lang];
        // the distance and time from here: along the streets or a straight-line estimate
        var trip = box.querySelector('.trip');
        if (trip && p.trip && p.trip.trip_text) {
          trip.textContent = p.trip.trip_text[cfg.lang];
          trip.dataset.measured = p.trip.measured;
        }
        e.popup.update();
      }).catch(function () {});
  });

  function redraw() {
    group.clearLayers();
    var all = [];
    byLayer.forEach(function (markers, i) { if (shown[i]) { all = all.concat(markers); } });
    group.addLayers(all);
  }

  fetch(cfg.points).then(function (r) {
    if (!r.ok) { throw new Error(r.status); }
    return r.json();
  }).then(function (data) {
    data.rows.forEach(function (row) {
      var layer = layers[row[2]];
      var marker = L.circleMarker([row[0], row[1]], {radius: 8, color: '#ffffff', weight: 2,
        fillColor: layer.colour, fillOpacity: 0.95, layerIndex: row[2]});
      marker.bindPopup(popup(row), {maxWidth: 240});
      if (hover) {  // a tooltip where there is hover; on a phone the tap opens the popup
        var tip = document.createElement('span');
        tip.textContent = row[4];
        marker.bindTooltip(tip);
      }
      byLayer[row[2]].push(marker);
    });
    redraw();
    document.documentElement.dataset.mapReady = 'true';
  }).catch(function () { say(T.map_load_failed); });

  // ---------------------------------------------------------------- chips: legend + switch
  var chips = document.querySelector('.chips');
  if (chips) {
    chips.hidden = false;
    chips.addEventListener('click', function (e) {
      var chip = e.target.closest('.chip');
      if (!chip) { return; }
      var on = chip.getAttribute('aria-pressed') !== 'true';
      chip.setAttribute('aria-pressed', on ? 'true' : 'false');
      if (chip.dataset.index !== undefined) {
        shown[Number(chip.dataset.index)] = on;
        redraw();
      } else {
        var overlay = window[chip.dataset.overlay];
        if (overlay) { if (on) { overlay.addTo(map); } else { map.removeLayer(overlay); } }
      }
    });
  }
})();
