// "Locate me": the browser's GPS (WGS-84) -> /?lon=&lat=. Without it the town form works.
(function () {
  var button = document.getElementById('locate');
  var msg = document.getElementById('locate-msg');
  if (!button || !('geolocation' in navigator)) { return; }
  button.hidden = false;
  button.addEventListener('click', function () {
    msg.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var q = new URLSearchParams(window.location.search);
      q.delete('town');
      q.set('lon', pos.coords.longitude.toFixed(6));
      q.set('lat', pos.coords.latitude.toFixed(6));
      q.set('coord', 'wgs84');
      window.location.search = q.toString();
    }, function () {
      msg.textContent = button.dataset.failed;
      document.getElementById('town').focus();
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
})();
