"""Cross-cutting API behaviour: expected versions (If-Match / ETag) and Idempotency-Key."""

import hashlib
import json
import re
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from scenarios.errors import DomainError, InvalidInput
from scenarios.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"


class PreconditionRequired(APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "更新需要提供当前版本：If-Match 请求头或 version 字段。"


_VERSION = re.compile(r"[0-9]{1,9}")


def expected_version(
    request: Request, body: dict[str, Any] | None = None, *, required: bool = False
) -> int | None:
    """The version the client wrote against: body ``version`` or the If-Match ETag."""
    body = body if body is not None else {}
    if body.get("version") is not None:
        return int(body["version"])
    header = request.headers.get("If-Match", "").strip()
    if header:
        raw = header.removeprefix("W/").strip('"')
        if _VERSION.fullmatch(raw):
            return int(raw)
        raise InvalidInput(
            _('If-Match 格式无效，应为 "版本号"。'),
            fields={"If-Match": [_('应为 "版本号"，例如 "3"。')]},
            code="invalid_if_match",
        )
    if required:
        raise PreconditionRequired(_("更新需要提供当前版本：If-Match 请求头或 version 字段。"))
    return None


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


class InvalidIdempotencyKey(DomainError):
    code = "idempotency_key_reused"
    status_code = 422


def _request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


class IdempotentCreateMixin:
    """POST with an ``Idempotency-Key`` header creates at most once per user and key.

    A retry with the same key and body gets the first response again (header
    ``Idempotent-Replayed: true``); the same key with another body is refused (422).
    The view implements ``create_response``.
    """

    def create_response(self, request: Request) -> Response:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            return self.create_response(request)
        if len(key) > 128:
            raise InvalidInput(
                _("Idempotency-Key 过长（最多128个字符）。"),
                fields={IDEMPOTENCY_HEADER: [_("最多128个字符。")]},
            )
        digest = _request_hash(request)
        user_id = int(request.user.pk or 0)
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Serialise concurrent retries of one key: the second waits, then replays.
                    lock_id = int.from_bytes(
                        hashlib.sha256(f"{user_id}:{key}".encode()).digest()[:8],
                        "big",
                        signed=True,
                    )
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
                record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
                if record is not None:
                    return self._replay(record, digest)
                response = self.create_response(request)
                if status.is_success(response.status_code):
                    IdempotencyRecord.objects.create(
                        user_id=user_id,
                        key=key,
                        endpoint=request.path[:255],
                        request_hash=digest,
                        status_code=response.status_code,
                        response_body=json.loads(json.dumps(response.data, default=str)),
                    )
                return response
        except IntegrityError:
            # A concurrent retry stored the key first (possible without PostgreSQL's lock):
            # replay its response. Any other integrity error is the service's to report.
            record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
            if record is None:
                raise
            return self._replay(record, digest)

    def _replay(self, record: IdempotencyRecord, digest: str) -> Response:
        if record.request_hash != digest:
            raise InvalidIdempotencyKey(
                _("该 Idempotency-Key 已用于另一个请求。"),
                fields={IDEMPOTENCY_HEADER: [_("已用于内容不同的请求。")]},
            )
        response = Response(record.response_body, status=record.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
