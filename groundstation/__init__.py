"""Ground station: flight record → georeferenced, fused, measured findings → map, GIS, report.

Entry point: ``groundstation.pipeline.process(flight, out, surface=None, progress=True)``; the
stages are listed in groundstation/pipeline.py. Truth comparison: groundstation.evaluate.
"""
