from core.api.filters import IntegerFilter, StrictBooleanFilter, StrictFilterSet
from matching.models import Match


class MatchFilter(StrictFilterSet):
    need = IntegerFilter(field_name="need_id")
    capability = IntegerFilter(field_name="capability_id")
    firm_id = IntegerFilter(field_name="firm_id")
    run = IntegerFilter(field_name="run_id")
    recommended = StrictBooleanFilter()

    class Meta:
        model = Match
        fields: list[str] = []
