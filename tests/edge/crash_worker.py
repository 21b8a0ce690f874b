"""A store till that never stops: sells (and sometimes returns) in a loop, printing each receipt
after its transaction committed. Run by test_crash.py, which kills it with SIGKILL.

usage: python -m tests.edge.crash_worker DB_PATH MAX_SALES
"""

from __future__ import annotations

import sys
from pathlib import Path

from edge.node import EdgeNode
from edge.services.returns import ReturnLine
from edge.services.selling import Basket, BasketLine
from tests.edge.conftest import STORE, populate


def main(db: Path, max_sales: int) -> None:
    node = EdgeNode.open(db, STORE)
    if node.replica.reader().execute("SELECT count(*) FROM catalog").fetchone()[0] == 0:
        populate(node)
        node.customers.enrol({"name": "Crash Test", "card": "VC-CRASH"})
    customer = node.customers.lookup("card", "VC-CRASH").customer_id
    skus = ["85123A", "71053", "22423"]
    for n in range(max_sales):
        lines = [BasketLine(skus[n % 3], 1 + n % 4), BasketLine(skus[(n + 1) % 3], 1)]
        receipt = node.selling.sell(
            Basket(lines, customer_id=customer if n % 2 else None, payment_ref=f"p{n}")
        )
        sys.stdout.write(f"sale {receipt.receipt_id}\n")
        if n % 5 == 0:
            node.returns.return_items([ReturnLine(lines[1].sku, 1)], receipt_id=receipt.receipt_id)
            sys.stdout.write(f"return {receipt.receipt_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
