"""Idempotent creation: a POST retried with the same ``Idempotency-Key`` creates once."""

import hashlib
import json
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import DomainError, InvalidInput
from core.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"


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
