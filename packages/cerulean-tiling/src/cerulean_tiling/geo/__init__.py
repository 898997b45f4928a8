"""Where radar pixels lie on Earth: GCPs, the thin-plate-spline georeference, tile grids
on an EPSG:4326 pixel lattice, and warping radar-geometry rasters onto that lattice."""
