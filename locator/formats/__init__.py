"""Formats: bytes <-> values — coverage CSV/GeoJSON, route GPX/KML/GeoJSON, and the
uploaded CSV/XLSX tables registers and planner uploads are read from (rank 2)."""
