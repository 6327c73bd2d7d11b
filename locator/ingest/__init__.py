"""Build ``geodata/``: real reference layers from registry packages, and sample layers."""
