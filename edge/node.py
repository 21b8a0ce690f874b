"""One store's edge node: the replica, its clock, the outbox/inbox ports and the store services.

Built from :class:`EdgeSettings` by :meth:`EdgeNode.open`; nothing happens at import time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edge.hub_clock import HubClock
from edge.replica.database import Replica
from edge.replica.inbox import ReplicaInbox
from edge.replica.outbox import ReplicaOutbox
from edge.services.catalog import CatalogService
from edge.services.cloud_port import CustomerDirectory, OrderDirectory
from edge.services.context import StoreContext
from edge.services.customers import CustomerService
from edge.services.loyalty import LoyaltyAuthority, LoyaltyService
from edge.services.orders import OrderService
from edge.services.reservations import ReservationService
from edge.services.returns import ReturnService
from edge.services.selling import SellingService
from edge.services.stock import StockService
from sync.hlc import HybridClock


class CloudPort(LoyaltyAuthority, OrderDirectory, CustomerDirectory, Protocol):
    """Everything a node may ask the cloud while online."""


@dataclass
class EdgeNode:
    store_id: str
    replica: Replica
    outbox: ReplicaOutbox
    inbox: ReplicaInbox
    catalog: CatalogService
    stock: StockService
    selling: SellingService
    returns: ReturnService
    reservations: ReservationService
    orders: OrderService
    customers: CustomerService
    loyalty: LoyaltyService
    hub_clock: HubClock

    @classmethod
    def open(
        cls,
        db_path: Path,
        store_id: str,
        *,
        default_zone: str = "floor",
        reservation_max_hours: int = 72,
        wall: Callable[[], float] = time.time,
        authority: LoyaltyAuthority | None = None,
        directory: OrderDirectory | None = None,
        customer_directory: CustomerDirectory | None = None,
    ) -> EdgeNode:
        replica = Replica.open(db_path, store_id, HybridClock(store_id, wall=wall))
        # Business times follow the hub's clock as this store knows it (edge/hub_clock.py).
        hub_clock = HubClock(replica, wall)
        ctx = StoreContext(replica=replica, store_id=store_id, default_zone=default_zone, wall=hub_clock.now)
        return cls(
            store_id=store_id,
            replica=replica,
            outbox=ReplicaOutbox(replica),
            inbox=ReplicaInbox(replica),
            catalog=CatalogService(ctx),
            stock=StockService(ctx),
            selling=SellingService(ctx, authority),
            returns=ReturnService(ctx, directory),
            reservations=ReservationService(ctx, reservation_max_hours),
            orders=OrderService(ctx),
            customers=CustomerService(ctx, customer_directory),
            loyalty=LoyaltyService(ctx),
            hub_clock=hub_clock,
        )

    def attach_cloud(self, cloud: CloudPort) -> None:
        """Route online questions (redemption authorisation, online orders returned here, customers
        this store never saw) to the cloud, for services built without one."""
        if self.selling.authority is None:
            self.selling.authority = cloud
        if self.returns.directory is None:
            self.returns.directory = cloud
        if self.customers.directory is None:
            self.customers.directory = cloud

    def close(self) -> None:
        self.replica.close()
