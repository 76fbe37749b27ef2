"""Which Slack workspace, or Enterprise Grid organization, a person, a link or a stored row belongs to."""

from __future__ import annotations

from dataclasses import dataclass

# Slack ids are letters and digits, so this cannot occur inside one.
_SEPARATOR = "/"


@dataclass(frozen=True)
class Workspace:
    """An installation's scope: a workspace (team), a workspace of an organization, or a whole organization.

    Outside Enterprise Grid `enterprise_id` is empty. An org-wide install answers in every workspace of
    the organization and Slack user ids are unique across it, so its people are keyed by the
    organization alone (`team_id` empty), whichever workspace a request comes from.
    """

    enterprise_id: str = ""
    team_id: str = ""

    @classmethod
    def of(cls, *, enterprise_id: str | None, team_id: str | None, org_wide: bool = False) -> Workspace:
        enterprise = enterprise_id or ""
        return cls(enterprise, "" if org_wide and enterprise else team_id or "")

    @classmethod
    def from_key(cls, key: str) -> Workspace:
        enterprise, separator, team = key.partition(_SEPARATOR)
        return cls(enterprise, team) if separator else cls("", key)

    @property
    def key(self) -> str:
        """One string for the places a team id went before: `T123`, `E1/T123`, or `E1/` (org-wide).

        A workspace outside Enterprise Grid keeps its bare team id, so data stored by a single-workspace
        bot reads the same after the upgrade.
        """
        return f"{self.enterprise_id}{_SEPARATOR}{self.team_id}" if self.enterprise_id else self.team_id

    @property
    def org_wide(self) -> bool:
        return bool(self.enterprise_id) and not self.team_id
