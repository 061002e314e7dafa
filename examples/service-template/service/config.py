"""Configuration from the environment, read once at start-up."""
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Config:
    """What the service needs to know about where it runs."""

    name: str
    data_dir: Path
    database_url: str | None

    @classmethod
    def from_env(cls) -> "Config":
        return cls(
            name=os.environ.get("SERVICE_NAME", "tokens"),
            data_dir=Path(os.environ.get("SERVICE_DATA_DIR", "/service/var")),
            database_url=os.environ.get("DATABASE_URL") or None,
        )
