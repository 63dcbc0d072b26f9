"""A live camera whose stream is cut comes back: ``CameraSource`` reopens it (a real FFmpeg HTTP stream)."""

from __future__ import annotations

import socket
import threading
import time

import cv2
import numpy as np

from onboard.capture import CameraSource


class MjpegCamera(threading.Thread):
    """An IP camera serving MJPEG over HTTP at 20 frames/s; every frame is painted 100 x its connection's
    number. The first connection is closed after ``cut_after_s`` (the camera rebooting)."""

    def __init__(self, cut_after_s: float) -> None:
        super().__init__(daemon=True)
        self.cut_after_s = cut_after_s
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/video.mjpg"
        self.connections = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()
        self.sock.close()

    def _serve(self, conn: socket.socket, number: int) -> None:
        jpg = cv2.imencode(".jpg", np.full((48, 64, 3), 100 * number, np.uint8))[1].tobytes()
        part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg) + jpg + b"\r\n"
        start = time.monotonic()
        with conn:
            try:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n")
                while not self.stopped.is_set() and not (number == 1 and time.monotonic() - start > self.cut_after_s):
                    conn.sendall(part)
                    time.sleep(0.05)
            except OSError:
                pass


def test_a_camera_stream_that_is_cut_is_reopened_and_frames_go_on() -> None:
    # Before: 'no frame for 5.0 s; camera stream ended' and the run's capture ended for the rest of the
    # flight, though the camera answered again (an HTTP stream cut after 1 s: 10 frames, then nothing).
    camera = MjpegCamera(cut_after_s=0.5)
    camera.start()
    source = CameraSource(camera.url, read_timeout_s=0.5, backoff_s=0.1)
    seen: list[int] = []
    guard = threading.Timer(20.0, source.stop)  # a camera never reopened must not hang the suite
    guard.start()
    try:
        for frame in source:
            seen.append(round(float(frame.image_bgr.mean()) / 100))
            if seen.count(2) >= 5:
                break
            assert len(seen) < 2000
    finally:
        guard.cancel()
        source.stop()
        camera.stopped.set()
        camera.join(5)
    assert seen[0] == 1 and seen.count(2) == 5 and seen == sorted(seen)  # the first stream, then the reopened one
    assert source.reconnects == 1 and camera.connections == 2
