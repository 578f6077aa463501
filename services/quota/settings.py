"""The quota service's settings: the shared ones plus its clock and its background loop."""

from pathlib import Path

from pydantic import Field

from shared.settings import Settings


class QuotaSettings(Settings):
    quota_clock_file: Path | None = Field(default=None, description="see shared/clock.py")

    @property
    def clock_file(self) -> Path | None:
        return self.quota_clock_file

    # How often the background loop closes rounds past their deadline and concludes finished notices.
    quota_tick_s: float = Field(default=30.0, gt=0)
    # Public objections a second allowed per client address (per replica).
    quota_public_rate: float = Field(default=1.0, gt=0)
