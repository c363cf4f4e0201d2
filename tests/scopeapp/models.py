from django.db import models


class PlaceRecord(models.Model):
    """A record filed under a unit and owned by a department, like the domain records of the apps."""

    title = models.CharField(max_length=100)
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "core.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    scope_unit_field = "unit"
    scope_department_field = "department"

    class Meta:
        app_label = "scopeapp"

    def __str__(self) -> str:
        return self.title
