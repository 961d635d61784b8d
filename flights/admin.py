"""Admin for aircraft layouts (the seat map drawn as a picture; its JSON checked as typed and validated on
save) and flights."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.forms.fields import InvalidJSONInput

from flights.models import AircraftLayout, Flight
from skyway.seat_map_picture import seat_map_picture_html


class PrettyJSONField(forms.JSONField):
    """Indented JSON: a person can edit it, unlike the compact default's one enormous line."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class AircraftLayoutForm(forms.ModelForm):
    """Saving runs AircraftLayout.clean(), which refuses a malformed seat map naming each bad path."""

    class Meta:
        model = AircraftLayout
        fields = ["code", "aircraft_type", "seat_map"]
        field_classes = {"seat_map": PrettyJSONField}
        widgets = {
            "seat_map": forms.Textarea(attrs={"rows": 30, "cols": 100, "style": "font-family: monospace"})
        }

    class Media:
        js = ["flights/seat_map_editor.js"]  # parses as you type; the server's check still decides


@admin.register(AircraftLayout)
class AircraftLayoutAdmin(admin.ModelAdmin):
    form = AircraftLayoutForm
    list_display = ["code", "aircraft_type", "seat_count", "updated_at"]
    search_fields = ["code", "aircraft_type"]
    fields = [
        "code",
        "aircraft_type",
        "seat_map_picture",
        "seat_map",
        "seat_count",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["seat_map_picture", "seat_count", "created_at", "updated_at"]

    @admin.display(description="seat map")
    def seat_map_picture(self, obj: AircraftLayout | None) -> str:
        """The saved seat map drawn row by row (edit the JSON below; the picture follows on save)."""
        if obj is None or obj.pk is None:
            return "Drawn once the layout is saved."
        return seat_map_picture_html(obj.seat_map)


class FlightForm(forms.ModelForm):
    class Meta:
        model = Flight
        fields = ["flight_no", "departure", "origin_code", "destination_code", "layout"]

    # The rules themselves are the model fields' validators (flights.rules), run by the form on the
    # normalised value; the form only normalises the case.
    def clean_flight_no(self) -> str:
        return self.cleaned_data["flight_no"].upper()

    def clean_origin_code(self) -> str:
        return self.cleaned_data["origin_code"].upper()

    def clean_destination_code(self) -> str:
        return self.cleaned_data["destination_code"].upper()


@admin.register(Flight)
class FlightAdmin(admin.ModelAdmin):
    form = FlightForm
    list_display = ["flight_no", "departure", "origin_code", "destination_code", "layout", "flight_id"]
    list_filter = ["origin_code", "destination_code", "layout"]
    search_fields = ["flight_no", "=flight_id"]
    date_hierarchy = "departure"
    ordering = ["departure", "flight_no"]
    readonly_fields = ["flight_id", "created_at", "updated_at"]
    list_select_related = ["layout"]
