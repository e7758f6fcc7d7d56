"""OpenAPI generation: every operation documents the error responses it can really give."""

from typing import Any

from drf_spectacular.openapi import AutoSchema

from scenarios.api.serializers import ErrorSerializer


class ScenarioAutoSchema(AutoSchema):
    """Adds the shared error shape under the status codes each kind of operation can return."""

    def _error_codes(self) -> list[int]:
        detail = "{" in self.path
        public = (
            not self.view.get_authenticators()
            if hasattr(self.view, "get_authenticators")
            else False
        )
        codes = [] if public else [401, 403]
        codes.append(429)
        if self.method == "GET":
            if not detail:
                codes.append(400)
        else:
            codes += [400, 409]
            if detail:
                codes.append(412)
            if self.method == "PATCH":
                codes.append(428)
            if self.method == "POST" and not detail:
                codes.append(422)
        if detail:
            codes.append(404)
        return sorted(set(codes))

    def get_response_serializers(self) -> Any:
        responses = super().get_response_serializers()
        if responses is None:
            return None
        by_code: dict[str, Any] = (
            dict(responses)
            if isinstance(responses, dict)
            else {"201" if self._is_create() else "200": responses}
        )
        for code in self._error_codes():
            by_code.setdefault(str(code), ErrorSerializer)
        return by_code

    def _is_create(self) -> bool:
        return self.method == "POST" and getattr(self.view, "action", None) == "create"
