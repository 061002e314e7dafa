from django.http import Http404, JsonResponse
from django.shortcuts import render

from . import catalogue


def plant_list(request):
    light = request.GET.get("light")
    if light not in catalogue.LIGHTS:
        light = None
    return render(
        request,
        "plants/list.html",
        {
            "plants": catalogue.by_light(light),
            "lights": catalogue.LIGHTS,
            "light": light,
            "title": catalogue.LIGHTS[light] if light else "All plants",
        },
    )


def plant_detail(request, slug):
    plant = catalogue.find(slug)
    if plant is None:
        raise Http404(f"no plant called {slug!r}")
    return render(
        request,
        "plants/detail.html",
        {"plant": plant, "light": catalogue.LIGHTS[plant.light]},
    )


def health(request):
    return JsonResponse({"status": "ok", "plants": len(catalogue.PLANTS)})
