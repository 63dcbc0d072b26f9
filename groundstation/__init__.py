"""Ground station: flight record → georeferenced, fused, measured findings → map, GIS, report."""
