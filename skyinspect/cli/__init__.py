"""The `skyinspect` command line: one small module per command, no domain logic."""
