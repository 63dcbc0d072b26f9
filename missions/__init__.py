"""Mission planning and the inspection-flight simulator."""
