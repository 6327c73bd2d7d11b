-- wrk script: nearest queries at random points over Jiangmen (fixed seed: same mix each run)
math.randomseed(20240929)
request = function()
  local lon = 111.9 + math.random() * 1.4
  local lat = 21.4 + math.random() * 1.5
  return wrk.format("GET", string.format("/api/v1/nearest?lon=%.5f&lat=%.5f&k=5", lon, lat))
end
