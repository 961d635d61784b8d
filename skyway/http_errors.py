"""JSON answers for paths no view owns and for unhandled errors, on every deployable.

Views answer in their context's envelope; these cover what Django answers itself (DEBUG off), so a
client never gets an HTML page or a traceback from an API process.
"""

from django.http import HttpRequest, JsonResponse


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": "not_found", "description": f"No resource at {request.path[:200]}"}, status=404
    )


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"error": "server_error", "description": "Unexpected error; it has been logged."}, status=500
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"error": "bad_request", "description": "The request was malformed."}, status=400)
