"""Policy parameters: numbers the source texts leave to the operator.

They live in `config/policy.yml` (or the file named by `POLICY_FILE`), never in code;
bot/settings.py reads the file, this module only parses it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction

import yaml


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Policy:
    brand: str = "GroupTrack CRM"
    support_email: str = "support@grouptrack.example"
    refund_fee_percent: Fraction = Fraction(5)
    late_cancel_window_hours: int = 24
    trial_days: int = 12
    extended_outage_hours: int = 72
    review_response_hours: int = 48
    code_ttl_minutes: int = 10
    code_max_attempts: int = 5
    codes_per_address_per_hour: int = 5       # to one address, from one client
    codes_per_conversation_per_hour: int = 3
    codes_per_address_from_anyone_per_hour: int = 20  # a ceiling on mail to one address
    identified_hours: int = 12
    decision_valid_minutes: int = 30
    support_days: str = "mon-fri"      # when people answer live (UTC)
    support_open: str = "09:00"
    support_close: str = "17:00"

    @property
    def fee_percent_text(self) -> str:
        """'5', '2.5': for people, exact (Decimal, not float)."""
        value = Decimal(self.refund_fee_percent.numerator) / Decimal(self.refund_fee_percent.denominator)
        return format(value.normalize(), "f")

    def as_record(self) -> dict:
        """JSON-safe snapshot stored with every decision."""
        record = asdict(self)
        record["refund_fee_percent"] = str(self.refund_fee_percent)
        return record

    @classmethod
    def from_mapping(cls, data: dict) -> "Policy":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise PolicyError(f"unknown policy keys: {', '.join(sorted(unknown))}")
        values = dict(data)
        try:
            if "refund_fee_percent" in values:
                values["refund_fee_percent"] = Fraction(str(values["refund_fee_percent"]))
            for key in ("late_cancel_window_hours", "trial_days", "extended_outage_hours",
                        "review_response_hours", "code_ttl_minutes", "code_max_attempts", "codes_per_address_per_hour",
                        "codes_per_conversation_per_hour", "codes_per_address_from_anyone_per_hour",
                        "identified_hours", "decision_valid_minutes"):
                if key in values:
                    values[key] = int(values[key])
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"bad policy value: {exc}") from None
        policy = cls(**values)
        if not 0 <= policy.refund_fee_percent < 100:
            raise PolicyError("refund_fee_percent must be in [0, 100)")
        return policy


def parse_policy(text: str, *, source: str = "policy file") -> Policy:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {source} must be a mapping")
    return Policy.from_mapping(data)
