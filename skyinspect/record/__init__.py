"""The flight record: what onboard writes and groundstation reads (docs/flight-record.md)."""

from skyinspect.record.format import FORMAT_NAME, FORMAT_VERSION, FrameRecord
from skyinspect.record.reader import FlightRecordReader
from skyinspect.record.writer import FlightRecordWriter

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "FrameRecord", "FlightRecordReader", "FlightRecordWriter"]
