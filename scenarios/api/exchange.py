"""REST views for bulk import and export in the exchange format (JSON, CSV, XLSX).

Import endpoints take a multipart upload and are for platform admins and province
committee members (any organization's rows), and for agencies' editors (needs) and firms'
editors (capabilities) importing their own organizations' rows; ``publish`` is for
platform admins only, ``update`` changes the stored items whose refs the file names. The
file is all-or-nothing, and a bad file gets 400 with every problem under ``fields`` keyed
``row N.field`` (``file`` for the file as a whole).

Export endpoints return the file itself as a download: the published lists to anyone
(``/public/needs/export/``, ``/public/capabilities/export/``), the items a signed-in user
answers for at ``/needs/export/`` and ``/capabilities/export/``.

``?format=`` names the file format here, so these views switch off DRF's URL format
override (which would otherwise look for a renderer called ``csv`` or ``xlsx``).
"""

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.api.fields import Serializer, StringField
from core.api.filters import query_parameters_check
from core.api.parsers import SafeMultiPartParser
from core.api.schema import error_responses
from scenarios import exchange
from scenarios.exchange import FORMATS, XLSX_CONTENT_TYPE, ExportFile, ImportResult
from scenarios.exchange.limits import ExchangeKind

# --- Serializers -------------------------------------------------------------------------


class ImportInputSerializer(Serializer):
    """Multipart body of POST /needs/import/ and /capabilities/import/."""

    file = serializers.FileField(
        help_text="交换格式文件（JSON、CSV 或 XLSX），默认上限 10 MiB、5000 行"
    )
    format = serializers.ChoiceField(
        choices=FORMATS, required=False, help_text="文件格式；默认按文件扩展名判断"
    )
    publish = serializers.BooleanField(
        default=False,
        help_text="仅平台管理员：清单已在其他渠道审批，直接作为已发布导入（记入审计）",
    )
    dry_run = serializers.BooleanField(default=False, help_text="只检查，不写入")
    # DRF's metaclass takes declared fields out of the class, so ``Serializer.update`` stays.
    update = serializers.BooleanField(  # type: ignore[assignment]
        default=False,
        help_text=(
            "按编号更新：编号已存在的行更新该条目（与已有数据相同的行不改动），其余行新建；"
            "否则编号已存在是错误"
        ),
    )


class ImportResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["need", "capability"])
    format = serializers.ChoiceField(choices=FORMATS)
    created = serializers.IntegerField(help_text="新建（或试运行时可新建）的条数")
    refs = serializers.ListField(child=StringField(), help_text="新建条目的编号")
    update = serializers.BooleanField(help_text="是否按编号更新")  # type: ignore[assignment]
    updated = serializers.IntegerField(help_text="更新（或试运行时可更新）的条数")
    updated_refs = serializers.ListField(child=StringField(), help_text="更新条目的编号")
    unchanged = serializers.IntegerField(help_text="与已有数据相同、未改动的行数")
    published = serializers.BooleanField()
    organizations_created = serializers.ListField(
        child=StringField(), help_text="新建的需求单位/企业名称"
    )
    batch = StringField(help_text="导入批次号（审计记录中可查）")
    dry_run = serializers.BooleanField()


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=FORMATS, default="json", help_text="导出格式")


class NeedExchangeSerializer(serializers.Serializer):
    """A need in the exchange format (the JSON export; CSV/XLSX have the same columns)."""

    ref = StringField()
    title = StringField()
    description = StringField()
    category = StringField(help_text="场景类型代码，如 government_service")
    chains = serializers.ListField(child=StringField(), help_text="产业链/赛道标识")
    keywords = serializers.ListField(child=StringField())
    region_code = StringField(help_text="GB/T 2260 六位代码")
    validation_type = StringField(help_text="concept/demand/technology/product")
    min_trl = serializers.IntegerField(min_value=1, max_value=9)
    budget_cny = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    is_major = serializers.BooleanField()
    org_name = StringField()
    org_region_code = StringField(help_text="发布单位所在地（GB/T 2260 六位代码）")
    version = serializers.IntegerField(help_text="导出时的版本；按编号更新时用来发现导出后的修改")


class CapabilityExchangeSerializer(serializers.Serializer):
    """A capability in the exchange format."""

    ref = StringField()
    title = StringField()
    description = StringField()
    chains = serializers.ListField(child=StringField())
    keywords = serializers.ListField(child=StringField())
    region_code = StringField()
    trl = serializers.IntegerField(min_value=1, max_value=9)
    certifications = serializers.ListField(child=StringField())
    past_cases = serializers.ListField(child=StringField())
    capacity = serializers.IntegerField(min_value=1)
    firm_name = StringField()
    firm_credit_code = StringField()
    version = serializers.IntegerField(help_text="导出时的版本；按编号更新时用来发现导出后的修改")


# --- Plumbing ----------------------------------------------------------------------------


class FileFormatNegotiation(DefaultContentNegotiation):
    """Always answer JSON; ``?format=`` is the file format, not a renderer."""

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class CanImport(permissions.BasePermission):
    """Those who may import the view's kind of list (``exchange.import_kinds_for``); checked
    before the upload is read. Whose rows they may import the import itself checks."""

    message = gettext_lazy(
        "只有平台管理员、省级工作委员会成员，或需求单位（企业）的编辑可以批量导入场景需求（能力）。"
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return view.kind in exchange.import_kinds_for(request.user)


def _download(export: ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Total-Count"] = str(export.rows)
    return response


def _export_format(request: Request) -> str:
    # Only the format: a list's parameters (page, filters) would be ignored without a word.
    query_parameters_check(request.query_params, known={"format"})
    if request.query_params.get("format", None) == "":
        # DRF reads an empty query value as "not given"; an empty format is a client error.
        raise serializers.ValidationError({"format": [gettext_lazy("不能为空。")]})
    query = ExportQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return str(query.validated_data["format"])


class ExchangeView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FileFormatNegotiation


# --- Import ------------------------------------------------------------------------------


class ImportView(ExchangeView):
    parser_classes = [SafeMultiPartParser]
    permission_classes = [permissions.IsAuthenticated, CanImport]
    kind: ExchangeKind

    def importer(self, **kwargs: Any) -> ImportResult:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        limits = exchange.ExchangeLimits.current()
        exchange.exchange_size_check(size=upload.size or 0, limits=limits)
        result = self.importer(
            actor=request.user,
            data=exchange.read_limited(upload, limit=limits.max_bytes),
            fmt=data.validated_data.get("format"),
            filename=upload.name or "",
            publish=data.validated_data["publish"],
            dry_run=data.validated_data["dry_run"],
            update=data.validated_data["update"],
        )
        code = status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED
        return Response(ImportResultSerializer(result).data, status=code)


IMPORT_DESCRIPTION = (
    "multipart/form-data 上传交换格式文件（字段 file）。平台管理员与省级工作委员会成员可导入"
    "任何单位的条目；需求单位（企业）的编辑只能导入本单位的场景需求（能力），不新建单位。"
    "publish=true 仅平台管理员。update=true 按编号更新：编号已存在的行经与页面相同的规则修改"
    "该条目（新版本、一条审计记录；已发布的条目不能修改，改动的每个字段各报一处错误），"
    "与已有数据相同的行不改动。整个文件要么全部导入（201），要么不写入任何数据（400），"
    "逐行错误在 fields 中，键为 “row 行号.字段”（整体问题为 “file”）。dry_run=true 只检查（200）。"
)


def _import_schema(summary: str) -> Any:
    return extend_schema(
        summary=summary,
        description=IMPORT_DESCRIPTION,
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            201: ImportResultSerializer,
            200: OpenApiResponse(ImportResultSerializer, description="dry_run：检查通过，未写入"),
            **error_responses(400, 401, 403, 429),
        },
    )


class NeedImportView(ImportView):
    """Bulk import of scenario needs (机会清单)."""

    kind = "need"

    @_import_schema("批量导入场景需求（JSON/CSV/XLSX）")
    def post(self, request: Request) -> Response:
        return super().post(request)

    def importer(self, **kwargs: Any) -> ImportResult:
        return exchange.needs_import(**kwargs)


class CapabilityImportView(ImportView):
    """Bulk import of capabilities (能力清单)."""

    kind = "capability"

    @_import_schema("批量导入场景能力（JSON/CSV/XLSX）")
    def post(self, request: Request) -> Response:
        return super().post(request)

    def importer(self, **kwargs: Any) -> ImportResult:
        return exchange.capabilities_import(**kwargs)


# --- Export ------------------------------------------------------------------------------


def _export_schema(
    summary: str,
    record: type[serializers.Serializer],
    errors: dict[int, Any],
    description: str = "",
) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[ExportQuerySerializer],
        responses={
            (200, "application/json"): OpenApiResponse(
                record(many=True), description="JSON：交换格式对象列表（只有代码）"
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=(
                    "CSV（UTF-8 带 BOM），表头为字段名；每个代码列旁有一列中文名称"
                    "（如“产业链（名称）”），另有状态列，导入时忽略这些列"
                ),
            ),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="XLSX：中文表头、冻结首行，代码列旁附中文名称列，另有“填写说明”工作表",
            ),
            **errors,
        },
    )


OWN_DESCRIPTION = (
    "调用者负责的条目（不含人人可见的公开清单）：{owner}的编辑得到本单位全部状态的条目；"
    "工作委员会成员得到辖区内已提交的条目；平台管理员得到全部；其他角色得到空文件。"
    "按编号排序；修改后可带 update=true 导回，只更新改动的条目。"
)


class PublicNeedExportView(ExchangeView):
    """The published opportunity list as a file; anonymous and throttled."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]

    @_export_schema(
        "导出公开机会清单（无需登录）", NeedExchangeSerializer, error_responses(400, 429)
    )
    def get(self, request: Request) -> HttpResponse:
        return _download(exchange.opportunity_list_export(fmt=_export_format(request)))


class PublicCapabilityExportView(ExchangeView):
    """The published capability list as a file; anonymous and throttled, as the needs'."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]

    @_export_schema(
        "导出公开能力清单（无需登录）", CapabilityExchangeSerializer, error_responses(400, 429)
    )
    def get(self, request: Request) -> HttpResponse:
        return _download(exchange.capabilities_export(fmt=_export_format(request)))


class NeedExportView(ExchangeView):
    """The needs the signed-in user answers for, as a file."""

    @_export_schema(
        "导出我负责的场景需求",
        NeedExchangeSerializer,
        error_responses(400, 401, 429),
        OWN_DESCRIPTION.format(owner="需求单位"),
    )
    def get(self, request: Request) -> HttpResponse:
        return _download(
            exchange.need_own_list_export(user=request.user, fmt=_export_format(request))
        )


class CapabilityExportView(ExchangeView):
    """The capabilities the signed-in user answers for, as a file."""

    @_export_schema(
        "导出我负责的场景能力",
        CapabilityExchangeSerializer,
        error_responses(400, 401, 429),
        OWN_DESCRIPTION.format(owner="企业"),
    )
    def get(self, request: Request) -> HttpResponse:
        return _download(
            exchange.capability_own_list_export(user=request.user, fmt=_export_format(request))
        )
