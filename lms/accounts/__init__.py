"""People, roles, cohorts, sign-in, PINs, profiles, consent and the audit log."""
