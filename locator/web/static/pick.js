// Tap the map to choose a position: offers a link to the nearest list for that point.
(function () {
  var me = document.currentScript;
  var map = window[me.dataset.map];
  var out = document.getElementById('pick');
  if (!map || !out) { return; }
  map.on('click', function (e) {
    var q = new URLSearchParams({lon: e.latlng.lng.toFixed(6), lat: e.latlng.lat.toFixed(6),
                                 coord: me.dataset.coord});
    if (me.dataset.lang === 'en') { q.set('lang', 'en'); }
    var a = document.createElement('a');
    a.className = 'btn';
    a.href = '/?' + q.toString();
    a.textContent = me.dataset.label;
    out.replaceChildren(a);
    L.popup().setLatLng(e.latlng).setContent(a.cloneNode(true)).openOn(map);
  });
})();
