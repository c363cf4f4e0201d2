"""OGC API Features (Core, GeoJSON, CRS by reference) over the map layers, under ``/ogc/``."""
