"""The workspace's test support, loaded for every package's tests by the root conftest.

- ``s3``: S3 on 127.0.0.1 — ``moto_endpoint`` (a plain moto server) and ``s3_server``
  (moto behind a recording proxy that, like S3, refuses requester-pays buckets' requests
  without ``x-amz-request-payer: requester`` and can answer 503 to chosen requests).
- ``stac``: ``stac_server``, a static STAC catalogue of small GRD GeoTIFFs on 127.0.0.1
  that can be told to fail, and ``eodag_env``, eodag with that catalogue as its only
  provider.
- ``grd``: ``write_grd``, a GRD-like GeoTIFF (pixels plus GCPs, no transform) of content a
  test chooses; the real-size synthetic GRD is ``cerulean_tiling.write_synthetic_grd``.

Servers start only for the test modules that request them, and moto, boto3, pystac and
eodag are imported inside the fixtures (skipping when absent), so packages whose test
environments lack them still collect.
"""
