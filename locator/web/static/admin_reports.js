// /admin/reports: one small map per group of reports, the facility and where each report
// was made. Data comes as JSON text (textContent), never as HTML.
(function () {
  var el = document.getElementById('reports-maps');
  if (!el || !window.L) { return; }
  var cfg = JSON.parse(el.textContent);
  // a point on GCJ-02 tiles (AMap) back to WGS-84: invert offline.js's forward formula by
  // fixed-point iteration (a few steps reach a millimetre)
  function toWgs(lat, lon) {
    if (cfg.coord !== 'gcj02' || !window.LocatorOffline) { return [lat, lon]; }
    var w = [lat, lon];
    for (var i = 0; i < 4; i++) {
      var g = window.LocatorOffline.wgsToGcj(w[0], w[1]);
      w = [w[0] - (g[0] - lat), w[1] - (g[1] - lon)];
    }
    return w;
  }
  function text(s) { var span = document.createElement('span'); span.textContent = s; return span; }
  cfg.maps.forEach(function (m) {
    var box = document.getElementById(m.id);
    if (!box) { return; }
    var map = L.map(box, {scrollWheelZoom: false, attributionControl: !!cfg.tiles});
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, {attribution: cfg.attribution, subdomains: cfg.subdomains,
                              maxZoom: 18}).addTo(map);
    }
    var all = [];
    if (m.facility) {
      L.circleMarker(m.facility, {radius: 8, color: '#d62728', weight: 3, fillOpacity: 0.6})
        .bindTooltip(text(cfg.texts.facility)).addTo(map);
      all.push(m.facility);
    }
    m.points.forEach(function (p) {
      L.circleMarker(p.at, {radius: 6, color: '#1f4e9c', weight: 2, fillOpacity: 0.5})
        .bindTooltip(text(cfg.texts.report + ' ' + p.label)).addTo(map);
      if (m.facility) {
        L.polyline([m.facility, p.at], {color: '#1f4e9c', weight: 1, dashArray: '4 4'})
          .addTo(map);
      }
      all.push(p.at);
    });
    if (m.adjust) {
      // staff may adjust a moved facility's position: a tap fills lon/lat (WGS-84)
      var lonInput = document.getElementById('lon-' + m.adjust);
      var latInput = document.getElementById('lat-' + m.adjust);
      var chosen = null;
      map.on('click', function (e) {
        var wgs = toWgs(e.latlng.lat, e.latlng.lng);
        lonInput.value = wgs[1].toFixed(6);
        latInput.value = wgs[0].toFixed(6);
        if (chosen) { map.removeLayer(chosen); }
        chosen = L.circleMarker(e.latlng, {radius: 7, color: '#17702f', weight: 3, fillOpacity: 0.7})
          .bindTooltip(text(cfg.texts.chosen)).addTo(map);
      });
    }
    if (all.length > 1) {
      map.fitBounds(all, {padding: [20, 20], maxZoom: 17});
    } else {
      map.setView(all[0], 16);
    }
  });
})();
