from core.api.filters import IdFilter, StrictBooleanFilter, StrictFilterSet
from matching.models import Match


class MatchFilter(StrictFilterSet):
    need = IdFilter(field_name="need_id")
    capability = IdFilter(field_name="capability_id")
    firm_id = IdFilter(field_name="firm_id")
    run = IdFilter(field_name="run_id")
    recommended = StrictBooleanFilter()

    class Meta:
        model = Match
        fields: list[str] = []
