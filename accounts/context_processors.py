from django.conf import settings


def pixel(request):
    return {"PIXEL_EMBEDDED": settings.EMBEDDED, "PIXEL_IDLE_MINUTES": settings.PIXEL_IDLE_MINUTES}
