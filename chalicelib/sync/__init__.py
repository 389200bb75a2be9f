"""The sync engine: the shop's listings into Postgres (docs/sync.md).

SyncService.run(resource, trigger)   one run under the resource's advisory lock
  └─ ProductsSync / OrdersSync.apply  stream the listing, decide what changed by digest,
                                      stage it, merge it set-based, infer deletions
"""

from chalicelib.sync.service import RunSummary, SyncService

__all__ = ["RunSummary", "SyncService"]
