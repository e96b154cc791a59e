"""Problems: every error Jaring answers with, as ODK Central numbers them.

A `Problem` carries a code such as ``"409.1"`` (a string: as numbers, 400.10 would equal
400.1), a message and optional details; its HTTP status is the part before the dot. The
REST API renders it as Central's JSON ``{"code": 409.1, "message": …, "details": …}``,
the OpenRosa endpoints as an ``OpenRosaResponse`` document. Domain code raises these;
the HTTP layer only renders them. Codes follow central-backend's catalogue and are never
reused for another meaning.
"""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """An error with a Central problem code, a message for people, and details for programs."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return int(self.code.split(".", 1)[0])

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": float(self.code), "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def unparseable(fmt: str, raw_length: int, reason: str | None = None) -> Problem:
    message = f"Could not parse the given data ({raw_length} chars) as {fmt}."
    if reason:
        message += f" {reason}"
    return Problem("400.1", message, {"format": fmt, "rawLength": raw_length})


def missing_parameter(field: str) -> Problem:
    return Problem("400.2", f"Required parameter {field} missing.", {"field": field})


def missing_parameters(expected: list[str], got: dict[str, Any]) -> Problem:
    given = ", ".join(f"{k}: {v}" for k, v in got.items())
    return Problem(
        "400.3",
        f"Required parameters missing. Expected ({', '.join(expected)}), got ({given}).",
        {"expected": expected, "got": got},
    )


def invalid_header(field: str, value: str | None) -> Problem:
    """``value`` None: the header is absent (Central then names no value)."""
    got = "" if value is None else f" (got: {value})"
    return Problem(
        "400.6",
        f"An expected header field ({field}) did not match the expected format{got}.",
        {"field": field, "value": value},
    )


def missing_multipart_field(field: str) -> Problem:
    return Problem("400.7", f"Required multipart POST field {field} missing.", {"field": field})


def invalid_data_type(value: str, expected: str) -> Problem:
    return Problem(
        "400.11",
        f'Invalid input data type: expected "{value}" to be ({expected})',
        {"value": value, "expected": expected},
    )


def value_out_of_range(value: str, type_name: str) -> Problem:
    return Problem(
        "400.22",
        f"Provided value '{value}' is out of range for type '{type_name}'",
        {"value": value, "type": type_name},
    )


def key_does_not_exist(field: str, value: Any, table: str) -> Problem:
    return Problem(
        "400.14",
        f"The given {field} {value} for {table} does not exist.",
        {"field": field, "value": value, "table": table},
    )


def unexpected_forms_list() -> Problem:
    return Problem(
        "501.2",
        "This endpoint does not allow creation or deletion of forms. Please check that you"
        " have sent the correct detail for all forms in this project.",
    )


def unexpected_value(field: str, value: Any, reason: str) -> Problem:
    return Problem(
        "400.8",
        f"Unexpected {field} value {value}; {reason}",
        {"field": field, "value": value, "reason": reason},
    )


def xlsform_not_valid(
    error: str,
    warnings: list[str] | None = None,
    findings: list[dict[str, Any]] | None = None,
) -> Problem:
    """Central's details (``error``, ``warnings``), and Jaring's ``findings``: the same
    messages with the sheet, row and column they point at where that can be told."""
    details: dict[str, Any] = {"error": error, "warnings": warnings or []}
    if findings is not None:
        details["findings"] = findings
    return Problem(
        "400.15",
        "The given XLSForm file was not valid. Please see the error details for more information.",
        details,
    )


def form_warnings(warnings: list[str], findings: list[dict[str, Any]] | None = None) -> Problem:
    details: dict[str, Any] = {"warnings": {"xlsFormWarnings": warnings}}
    if findings is not None:
        details["findings"] = findings
    return Problem(
        "400.16",
        "The Form is valid, but with warnings. Please check the warnings and if they are"
        " acceptable resubmit with ?ignoreWarnings=true",
        details,
    )


def request_too_large(limit: int) -> Problem:
    # Central answers 400.36; a size limit is what HTTP's 413 is for, so Jaring keeps the
    # code's meaning and uses the status clients (and proxies) expect for it.
    problem = Problem("413.1", f"Request body too large: the limit is {limit} bytes.")
    problem.details = {"limit": limit}
    return problem


def multipart_parsing_failed(reason: str) -> Problem:
    return Problem(
        "400.39", f"Multipart form content failed to parse. {reason}".strip(), {"reason": reason}
    )


def password_too_short() -> Problem:
    return Problem(
        "400.21", "The password or passphrase provided does not meet the required length."
    )


def undecryptable() -> Problem:
    return Problem(
        "400.12",
        "Could not perform decryption. Double check your passphrase and your data and try again.",
    )


def authentication_failed() -> Problem:
    return Problem("401.2", "Could not authenticate with the provided credentials.")


def insufficient_rights() -> Problem:
    return Problem(
        "403.1",
        "The authentication you provided does not have rights to perform that action.",
    )


def not_found() -> Problem:
    return Problem("404.1", "Could not find the resource you were looking for.")


def deprecated_id_not_found(deprecated_id: str) -> Problem:
    return Problem(
        "404.5",
        "You tried to update an existing submission, but we can't find that submission to"
        f" update ({deprecated_id})",
        {"deprecatedId": deprecated_id},
    )


def form_version_not_found(version: str) -> Problem:
    return Problem(
        "404.6",
        f"The form version specified in this submission '{version}' does not exist.",
        {"formVersion": version},
    )


def xml_conflict() -> Problem:
    return Problem(
        "409.1",
        "A submission already exists with this ID, but with different XML. Resubmissions to"
        " attach additional multimedia must resubmit an identical xml_submission_file.",
    )


def not_accepting_submissions() -> Problem:
    return Problem(
        "409.2",
        "This form is not currently accepting submissions. Please talk to your program staff"
        " if this is unexpected.",
    )


def uniqueness_violation(fields: list[str], values: list[str]) -> Problem:
    return Problem(
        "409.3",
        f"A resource already exists with {', '.join(fields)} value(s) of {', '.join(values)}.",
        {"fields": fields, "values": values},
    )


def version_uniqueness_violation(xml_form_id: str, version: str) -> Problem:
    return Problem(
        "409.6",
        f"You tried to publish the form '{xml_form_id}' with version '{version}', but a"
        " published form has already existed in this project with those identifiers.",
        {"xmlFormId": xml_form_id, "version": version},
    )


def already_activated(feature: str) -> Problem:
    return Problem(
        "409.4",
        f"Could not activate feature ({feature}) as it was already activated",
        {"feature": feature},
    )


def instance_id_conflict() -> Problem:
    return Problem(
        "409.8",
        "You tried to update a submission, but the instanceID you provided already exists on"
        " this server. Please try again with a unique instanceID.",
    )


def deprecating_old_submission(deprecated_id: str) -> Problem:
    return Problem(
        "409.9",
        f"You tried to update a submission, but the copy you were editing ({deprecated_id}) is"
        " now out of date. Please get the new version that has been submitted, and make your"
        " edits again.",
        {"deprecatedId": deprecated_id},
    )


def too_many_attempts(retry_after: int) -> Problem:
    # Central has no code for this; 429 is HTTP's, and pyODK waits and retries on it.
    return Problem(
        "429.1",
        "Too many failed log-in attempts. Please wait before trying again.",
        {"retryAfter": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def service_unavailable(reason: str) -> Problem:
    return Problem("503.1", f"The server cannot store this right now: {reason}")


def storage_full() -> Problem:
    return Problem(
        "507.1",
        "The server's disk is full; nothing was stored. Please try again later.",
    )


def blob_missing(sha256: str) -> Problem:
    # Central has no code for this. A 500: the database names a file the blob store has
    # lost (removed by hand, or a store half-way through `jaring blobs migrate`); the
    # client did nothing wrong, and the operator finds the digest in the log.
    return Problem(
        "500.2",
        "The file asked for is recorded but missing from the server's blob store;"
        " the server's operator has been told.",
        {"sha256": sha256},
    )


def unknown() -> Problem:
    return Problem("500.1", "An unknown internal problem has occurred. Please try again later.")
