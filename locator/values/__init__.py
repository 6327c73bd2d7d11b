"""Values: the data model, the layer registry, errors, paths, geodesy and coordinate
systems. Pure values and maths: no I/O beyond locating the bundled folders; imports
nothing else of locator (rank 0 in DESIGN.md's layering)."""
