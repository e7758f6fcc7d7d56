import django_filters

from matching.models import Match


class MatchFilter(django_filters.FilterSet):
    class Meta:
        model = Match
        fields = ["need", "capability", "recommended", "firm_id", "run"]
