"""Actions on the commune's own settings."""

FIELDS = ("name", "drafting_units", "issuing_body", "body_code", "place_name", "province", "higher_authority",
          "rule_profile", "retention_days", "chairman_name")
