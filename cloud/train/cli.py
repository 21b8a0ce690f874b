"""``vitrine-cloud train``: train the recommender on the hub's sale history and release it.

    vitrine-cloud train                       # hub history, release to every active store
    vitrine-cloud train --stores store-1      # canary: one store first
    vitrine-cloud train --csv ../shared/data/retail/online_retail_2010-12_2011-10.csv.gz --no-release
    vitrine-cloud train --public-key-only     # create/read the key, print what edges must trust, stop

The signing key is created on first use (``--key``, mode 0600); its public half, printed at the end,
is what edges trust (``VITRINE_EDGE_MODEL_PUBLIC_KEY``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from tqdm import tqdm

from cloud.errors import CloudError
from models.errors import ModelError

app = typer.Typer(help="Train the recommender and release it to the stores", add_completion=False)

STEPS = ("read history", "search", "evaluate", "fit", "export", "release")


@app.callback(invoke_without_command=True)
def train(
    *,
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: VITRINE_CLOUD_DATABASE_URL)")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="train from an Online Retail CSV instead of the hub's history"),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            help="ed25519 signing key (PEM); created if missing (default: VITRINE_CLOUD_MODEL_SIGNING_KEY)"
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="where a copy of each artifact is written")] = Path(
        "var/cloud/models"
    ),
    stores: Annotated[str | None, typer.Option(help="comma-separated store ids to release to first")] = None,
    do_release: Annotated[
        bool, typer.Option("--release/--no-release", help="queue model.release ops")
    ] = True,
    search: Annotated[
        bool, typer.Option("--search/--no-search", help="parameter search on the validation month")
    ] = True,
    public_key_only: Annotated[
        bool,
        typer.Option(
            "--public-key-only",
            help="create the signing key if missing, print the public key edges must trust, train nothing",
        ),
    ] = False,
) -> None:
    """Train, evaluate on the last complete month, sign, keep and release the default recommender."""
    from cloud.console.audit import audit
    from cloud.console.cli import CLI_USER
    from cloud.rollout import artifacts, service
    from cloud.settings import CloudSettings
    from cloud.training import hub_sale_rows, keep, signing_key
    from models.data import build_purchases, load_online_retail
    from models.search import RepeatParams
    from models.signing import public_key_b64
    from models.training import train_release

    try:
        settings = CloudSettings(**({"database_url": db} if db else {}))  # type: ignore[arg-type]
    except ValidationError as err:
        typer.echo(f"invalid settings: {err}", err=True)
        raise typer.Exit(2) from err
    key = key or settings.model_signing_key
    if public_key_only:
        try:
            signer, _ = signing_key(key)
        except (ModelError, OSError) as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from err
        typer.echo(f"VITRINE_EDGE_MODEL_PUBLIC_KEY={public_key_b64(signer)}")
        return
    if csv is not None and not csv.exists():
        typer.echo(f"error: {csv} not found", err=True)
        raise typer.Exit(2)
    hub = None
    if csv is None or do_release:
        from cloud.hub import Hub

        hub = Hub.from_settings(settings)
    targets = [t.strip() for t in stores.split(",") if t.strip()] if stores else None
    bar = tqdm(total=len(STEPS), desc="train", unit="step")

    def step(name: str) -> None:
        bar.set_description(name)
        bar.n = STEPS.index(name)
        bar.refresh()

    try:
        signer, created = signing_key(key)
        step("read history")
        if csv is not None:
            purchases = load_online_retail(csv)
        else:
            assert hub is not None
            with hub.tx() as conn:
                purchases = build_purchases(hub_sale_rows(conn))
        if len(purchases) == 0:
            raise ModelError("no sale history to train on")
        result = train_release(purchases, signer, params=None if search else RepeatParams(), progress=step)
        folder = keep(result.artifact, out)
        released: list[str] = []
        step("release")
        if hub is not None:
            with hub.tx() as conn:
                if do_release:
                    released = service.release(conn, hub.clock, result.artifact, targets, by="train")
                    audit(conn, CLI_USER, "model.release", {"model_id": result.artifact.manifest.model_id,
                                                            "stores": released, "by": "train"})  # fmt: skip
                else:
                    artifacts.keep(conn, result.artifact)
        bar.n = len(STEPS)
        bar.set_description("done")
        bar.close()
    except (CloudError, ModelError, OSError) as err:
        bar.close()
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    m = result.test
    typer.echo(f"model {result.artifact.manifest.model_id} ({len(result.artifact.onnx)} bytes) in {folder}")
    typer.echo(f"params {result.params.as_dict()}")
    for note in result.notes:
        typer.echo(note)
    if m is not None:
        typer.echo(
            f"last complete month: HR@10 {m.hr:.4f}  Recall@10 {m.recall:.4f}  NDCG@10 {m.ndcg:.4f}  "
            f"coverage {m.coverage:.4f}"
        )
    typer.echo(f"released to: {', '.join(released) if released else 'no store'}")
    typer.echo(
        f"{'created' if created else 'signed with'} key {key}; edges trust VITRINE_EDGE_MODEL_PUBLIC_KEY={public_key_b64(signer)}"
    )
