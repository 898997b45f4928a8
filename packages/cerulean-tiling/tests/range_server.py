"""A static HTTP server with Range support, run as its own process by tests.

GDAL's /vsicurl/ reads byte ranges, and rasterio holds the GIL while GDAL opens a
dataset, so the server must live in another process. Usage::

    python range_server.py DIRECTORY LOGFILE   # prints the port, then serves on 127.0.0.1
"""

from __future__ import annotations

import http.server
import sys
from pathlib import Path


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; honours ``Range: bytes=a-b`` with 206 responses; logs request paths."""

    log_file: Path

    def log_message(self, format: str, *args: object) -> None:
        with open(self.log_file, "a") as log:
            log.write(f"{self.command} {self.path}\n")

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        header = self.headers.get("Range")
        if not path.is_file() or not header:
            super().do_GET()
            return
        data = path.read_bytes()
        first, _, last = header.removeprefix("bytes=").partition("-")
        start = int(first)
        end = min(int(last) if last else len(data) - 1, len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.wfile.write(data[start : end + 1])


def main() -> None:
    directory, log = sys.argv[1], Path(sys.argv[2])

    class Handler(RangeHandler):
        log_file = log

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=directory, **kwargs)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
