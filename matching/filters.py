from matching.models import Match
from scenarios.api.filter_fields import IntegerFilter, StrictBooleanFilter, StrictFilterSet


class MatchFilter(StrictFilterSet):
    need = IntegerFilter(field_name="need_id")
    capability = IntegerFilter(field_name="capability_id")
    firm_id = IntegerFilter(field_name="firm_id")
    run = IntegerFilter(field_name="run_id")
    recommended = StrictBooleanFilter()

    class Meta:
        model = Match
        fields: list[str] = []
