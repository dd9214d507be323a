"""Checks of the API fuzzer (infra/local/served.sh) beyond schemathesis' own."""

import schemathesis

# The 400s a schema-valid request may get, each for a reason infra/openapi.yaml states
# but a JSON schema cannot express: a single-use link or a page cursor that names nothing,
# a follow-up time outside the window around now, an assignee who is not the partner's user,
# a lead change that clears the contact the lead has left, a score history range that is
# reversed or longer than 366 days, a KYC document's expiry date in the past or more than
# 20 years ahead.
STATE_CODES = {"invalid_token", "invalid_cursor"}
STATE_FIELDS = {
    ("/next_follow_up_at", "must be within a year back and two years ahead"): None,
    ("/assigned_to", "is not a user of your partner account"): None,
    ("/expires_on", "must be today or a later date, at most 20 years ahead"): {"POST /v1/kyc/documents"},
    # On create the document says it all (anyOf); on update it depends on the lead.
    ("/email", "email or phone is required"): {"PATCH /v1/leads/{lead_id}"},
    # Two dates, each valid alone: their order and distance (and `from` after today when
    # `to` is left out) are a range rule.
    ("from", "must not be after to"): {"GET /v1/analytics/score/history"},
    ("to", "must be at most 366 days after from"): {"GET /v1/analytics/score/history"},
}


def explained_by_state(case, error) -> bool:
    key = (error.get("field"), error.get("message"))
    if key not in STATE_FIELDS:
        return False
    operations = STATE_FIELDS[key]
    return operations is None or f"{case.method.upper()} {case.operation.path}" in operations


@schemathesis.check
def schema_valid_requests_are_not_refused_as_malformed(ctx, response, case):
    """A schema-valid request may be answered 400 only for a documented reason that no
    schema can express (see STATE_CODES and STATE_FIELDS), never for its shape."""
    meta = case.meta
    if response.status_code != 400 or meta is None or not meta.generation.mode.is_positive:
        return None
    try:
        problem = response.json()
    except Exception:
        problem = {}
    code = problem.get("code")
    if code in STATE_CODES:
        return None
    errors = problem.get("errors") or []
    if code == "validation_failed" and errors and all(explained_by_state(case, e) for e in errors):
        return None
    raise AssertionError(
        f"A schema-valid request was refused as malformed: {code} {errors or problem.get('detail', '')}")
