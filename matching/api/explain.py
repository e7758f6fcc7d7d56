"""The explanation of any (need, capability) pair: its query and its answer's shape."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from core.api.fields import IdField, RealField, StringField
from core.api.filters import query_parameters_check
from matching.engine.concepts import CHILD, HOWS, PARENT, RELATED
from matching.engine.scoring import FEATURES
from matching.services.explain import (
    DECLARED_RELATION,
    QUOTA_HOLDERS,
    REASON_CODES,
    SAME_ORGANIZATION,
    PairExplanation,
)

QUERY_PARAMETERS = ("need", "capability")


class ExplainQuerySerializer(serializers.Serializer):
    need = IdField(help_text="需求编号")
    capability = IdField(help_text="能力编号")


def explain_query(request: Request) -> tuple[int, int]:
    """(need id, capability id) from the query string; unknown, repeated or empty parameters
    and malformed ids are 400s naming the field."""
    params = request.query_params
    query_parameters_check(params, known={*QUERY_PARAMETERS, "format"})
    errors = {
        name: [_("不能为空。")]
        for name in QUERY_PARAMETERS
        if name in params and all(v == "" for v in params.getlist(name))
    }
    if errors:
        raise ValidationError(errors)
    query = ExplainQuerySerializer(data={k: params.get(k) for k in QUERY_PARAMETERS if k in params})
    query.is_valid(raise_exception=True)
    return int(query.validated_data["need"]), int(query.validated_data["capability"])


class ItemRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ref = StringField()
    title = StringField()


class CapabilityRefSerializer(ItemRefSerializer):
    firm_id = serializers.IntegerField()
    firm_name = StringField()


class FeatureLineSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=[(f, f) for f in FEATURES])
    value = RealField(help_text="特征值，0–1")
    weight = RealField(help_text="现行政策的归一化权重")
    contribution = RealField(help_text="权重 × 特征值；各项之和即得分")


class ConceptSerializer(serializers.Serializer):
    need_word = StringField()
    capability_word = StringField()
    how = serializers.ChoiceField(
        choices=[(h, h) for h in HOWS],
        help_text="exact 同一词；synonym 产业链同义词；vector 词向量近邻；chain 上下级或相关产业链",
    )
    similarity = RealField(help_text="exact/synonym 为 1；vector 为余弦；chain 为契合度")
    relation = serializers.ChoiceField(
        choices=[("", ""), (PARENT, PARENT), (CHILD, CHILD), (RELATED, RELATED)],
        help_text="chain：能力的词是需求的词的上级（parent）、下级（child）或相关（related）",
    )
    need_chains = serializers.ListField(child=StringField())
    capability_chains = serializers.ListField(child=StringField())
    text = StringField(help_text="一句话说明（随 Accept-Language）")


class NegativeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = StringField()
    keyword = StringField(allow_blank=True)
    chain = StringField(allow_blank=True)
    chain_name = StringField(allow_blank=True)
    reason = StringField()


class QuotaNeedSerializer(ItemRefSerializer):
    via = serializers.ChoiceField(
        choices=[(v, v) for v in QUOTA_HOLDERS],
        help_text="占用名额的方式：当前推荐或进行中的试点",
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[(c, c) for c in REASON_CODES])
    detail = StringField(help_text="一句话说明（随 Accept-Language）")
    status = StringField(allow_null=True, help_text="need_not_open 等：当前状态")
    relation = serializers.ChoiceField(
        choices=[(SAME_ORGANIZATION, SAME_ORGANIZATION), (DECLARED_RELATION, DECLARED_RELATION)],
        allow_null=True,
        help_text="conflict_of_interest：同一单位或已申报的关联关系",
    )
    entries = NegativeEntrySerializer(many=True, allow_null=True, help_text="negative_list")
    rank = serializers.IntegerField(allow_null=True, help_text="below_top_n：当前排名")
    top_n = serializers.IntegerField(allow_null=True, help_text="below_top_n：候选数")
    k = serializers.IntegerField(allow_null=True, help_text="below_cutoff：每个需求推荐数")
    cutoff_score = RealField(allow_null=True, help_text="below_cutoff：该需求最低的推荐得分")
    quota = serializers.IntegerField(allow_null=True, help_text="firm_quota_used：企业名额")
    needs = QuotaNeedSerializer(
        many=True,
        allow_null=True,
        help_text="firm_quota_used：占用名额的需求（调用者可见的）",
    )
    hidden_needs = serializers.IntegerField(
        allow_null=True, help_text="firm_quota_used：调用者不可见的占用需求数"
    )


class PairExplanationSerializer(serializers.Serializer):
    need = ItemRefSerializer()
    capability = CapabilityRefSerializer()
    policy_version = serializers.IntegerField(help_text="计算所用的现行政策版本")
    score = RealField(help_text="现行政策下的得分，0–1")
    features = FeatureLineSerializer(many=True)
    matched_keywords = serializers.ListField(child=StringField())
    concepts = ConceptSerializer(many=True, help_text="匹配的概念，最强的在前，至多 8 项")
    candidate = serializers.BooleanField(help_text="现在是否在该需求的候选（前 top_n 名）之中")
    rank = serializers.IntegerField(
        allow_null=True, help_text="在该需求候选中的排名；未进入检索或被硬性条件排除时为空"
    )
    top_n = serializers.IntegerField(help_text="每个需求保留的候选数")
    retrieved = serializers.BooleanField(help_text="检索是否把该能力列入该需求的候选池")
    recommended = serializers.BooleanField(help_text="该需求当前结果中是否推荐了这一组合")
    match = serializers.IntegerField(
        allow_null=True, help_text="当前的撮合结果编号（调用者可读时）"
    )
    reasons = ReasonSerializer(many=True, help_text="未被推荐的原因；已推荐且无障碍时为空")


def explanation_data(result: PairExplanation) -> dict[str, Any]:
    """The serializer's input for one explanation."""
    need, cap = result.need, result.capability
    return {
        "need": {"id": need.pk, "ref": need.ref, "title": need.title},
        "capability": {
            "id": cap.pk,
            "ref": cap.ref,
            "title": cap.title,
            "firm_id": cap.firm_id,
            "firm_name": cap.firm.name,
        },
        "policy_version": result.policy_version,
        "score": result.score,
        "features": [vars(line) for line in result.features],
        "matched_keywords": result.matched_keywords,
        "concepts": [
            {**c.as_dict(), "text": text}
            for c, text in zip(result.concepts, result.concept_sentences, strict=True)
        ],
        "candidate": result.candidate,
        "rank": result.rank,
        "top_n": result.top_n,
        "retrieved": result.retrieved,
        "recommended": result.recommended,
        "match": result.match_id,
        "reasons": [vars(reason) for reason in result.reasons],
    }
