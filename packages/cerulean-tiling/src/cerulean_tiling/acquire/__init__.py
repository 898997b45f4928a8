"""Getting scenes: catalogue search and resumable downloads through eodag, S3 access
(requester-pays GRDs, shared by cerulean-coco's push/pull), retries, scene lists.

Everything network-facing needs the ``fetch`` extra; its modules import eodag, requests
and boto3 only when called, through :func:`cerulean_tiling.optional.import_optional`,
which names the extra to install when they are missing.
"""
